// Live preview: after each change, ask the server to check the form and render it; without
// JavaScript the "Save and check" button does the same with a full page.
(function () {
  var form = document.getElementById("builder");
  if (!form || !window.fetch) return;
  var timer = null;
  function problemsHtml(list) {
    return list.map(function (p) {
      var li = document.createElement("li");
      li.className = p.severity;
      var rule = document.createElement("span");
      rule.className = "rule";
      rule.textContent = p.rule;
      li.appendChild(rule);
      li.appendChild(document.createTextNode(" " + p.message));
      return li;
    });
  }
  function refresh() {
    var lang = document.documentElement.lang;
    fetch(form.dataset.preview + "?lang=" + lang, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        document.getElementById("preview").srcdoc = answer.preview;
        var outcome = document.getElementById("outcome");
        outcome.textContent = answer.outcome_text;
        outcome.className = "outcome " + answer.outcome;
        var all = document.getElementById("all-problems");
        all.replaceChildren.apply(all, problemsHtml(answer.problems));
        document.querySelectorAll("ul.problems[id^='problems-']").forEach(function (ul) {
          var key = ul.id.slice("problems-".length);
          ul.replaceChildren.apply(ul, problemsHtml(answer.by_field[key] || []));
        });
        var publish = document.getElementById("publish");
        publish.disabled = !answer.publishable;
        publish.setAttribute("aria-disabled", String(!answer.publishable));
      })
      .catch(function () {});
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 500); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(refresh, 200); });
})();
