// fairpanel: autosave on the scoring page and live status on the chair's board. The pages work
// without it; it only saves answers as they are given and refreshes who has submitted.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="fp-csrf"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  function autosave(form) {
    var url = form.getAttribute("data-autosave");
    var status = form.querySelector("[data-save-status]");
    var evidence = form.querySelector("textarea[name=evidence]");
    var timer = null;
    var last = current();
    var pending = false;

    function current() {
      var checked = form.querySelector("input[name=score]:checked");
      return { score: checked ? parseInt(checked.value, 10) : null, evidence: evidence.value };
    }
    function say(text, cls) {
      status.textContent = text;
      status.className = "save-status" + (cls ? " " + cls : "");
    }
    function save() {
      timer = null;
      var now = current();
      if (now.score === null || now.evidence.trim() === "") {
        say("Not saved yet: a score and an evidence note are both needed.", "");
        return;
      }
      if (now.score === last.score && now.evidence === last.evidence && !pending) { return; }
      pending = true;
      say("Saving…", "");
      fetch(url, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(now)
      }).then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      }).then(function (res) {
        if (res.ok) {
          pending = false;
          last = now;
          say("Saved (" + res.body.answered + " of " + res.body.questions + " answered).", "ok");
          var count = document.querySelector("[data-answered]");
          if (count) { count.textContent = String(res.body.answered); }
        } else {
          say("Not saved: " + (res.body.error || "refused"), "bad");
        }
      }).catch(function () {
        say("Not saved: the connection was lost. What you typed is still on this page; it will be saved when the connection is back (or press Save).", "bad");
        schedule(5000);
      });
    }
    function schedule(ms) {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(save, ms);
    }
    form.addEventListener("change", function () { schedule(200); });
    evidence.addEventListener("input", function () { schedule(1500); });
  }

  function board(el) {
    var vacancy = el.getAttribute("data-live-status");
    function refresh() {
      fetch("/api/v1/board/" + encodeURIComponent(vacancy), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (b) {
          if (!b) { return; }
          var changed = false;
          b.candidates.forEach(function (c) {
            var card = document.querySelector('[data-board-candidate="' + CSS.escape(c.reference) + '"]');
            if (!card) { return; }
            c.sheets.forEach(function (s) {
              var li = card.querySelector('[data-panellist="' + CSS.escape(s.panellist) + '"] .tag');
              if (li && (li.textContent === "submitted") !== s.submitted) {
                li.textContent = s.submitted ? "submitted" : "not yet";
                li.className = "tag " + (s.submitted ? "tag-submitted" : "tag-waiting");
                changed = true;
              }
            });
            var count = card.querySelector("[data-count]");
            if (count) { count.textContent = c.sheets_in + " of " + c.panel + " in"; }
            if (c.revealed && count) { changed = true; }
          });
          el.textContent = "Updated " + new Date().toLocaleTimeString() + (changed ? ": something changed; reload to reveal." : ".");
        })
        .catch(function () { el.textContent = "Live status paused: the connection was lost."; });
    }
    refresh();
    setInterval(refresh, 5000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var f = document.querySelector("form[data-autosave]");
    if (f) { autosave(f); }
    var b = document.querySelector("[data-live-status]");
    if (b) { board(b); }
  });
})();
