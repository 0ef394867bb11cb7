"""HTTP handlers: decode, call a service, encode. No rule logic lives here."""
