// Saves the assessment form as a draft a few seconds after the last change.
// The form works without this script; it only spares people the button.
(function () {
  "use strict";
  var form = document.getElementById("assessment-form");
  if (!form || !form.dataset.autosave) { return; }
  var status = document.getElementById("autosave-status");
  var version = document.getElementById("version");
  var timer = null;
  var busy = false;
  var stopped = false;
  var pending = false;

  function say(text) { if (status) { status.textContent = text; } }

  function save() {
    if (stopped) { return; }
    if (busy) { pending = true; return; }
    busy = true;
    var data = new FormData(form);
    data.delete("action");
    fetch(form.dataset.autosave, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      var body = result.body;
      if (body.ok) {
        version.value = body.version;
        var answered = document.querySelector("[data-answered]");
        if (answered) { answered.textContent = body.answered; }
        var bar = document.querySelector("#voortgang progress");
        if (bar) { bar.value = body.answered; }
      } else if (body.conflict || result.status === 409) {
        stopped = true;
      }
      say(body.message || "");
    }).catch(function () {
      say(form.dataset.offline || "");
    }).then(function () {
      busy = false;
      if (pending) { pending = false; schedule(); }
    });
  }

  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 3000);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function () { if (timer) { clearTimeout(timer); } stopped = true; });
}());
