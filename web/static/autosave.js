// The assessment pages without a button: fields appear when they apply, and
// every change is saved a moment later. The server stores each valid field
// and answers per field what it could not store; those fields are marked
// here, with their message, and listed in the status bar as links. A failed
// request is tried again; leaving with changes not yet saved warns.
// The pages work without this script as plain forms.
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
  var attempts = 0;
  var submitting = false;
  var afterSave = null;
  var dirty = {};  // field name → true: changed and not stored yet

  // --- fields that apply -------------------------------------------------
  function applyConditions() {
    var blocks = form.querySelectorAll("[data-when]");
    for (var i = 0; i < blocks.length; i++) {
      var block = blocks[i];
      var checked = form.querySelector('input[name="' + block.dataset.when + '"]:checked');
      var value = checked ? checked.value : "-";
      block.hidden = block.dataset.values.split(" ").indexOf(value) < 0;
    }
  }

  // --- marks at the fields -----------------------------------------------
  function describedBy(element, id, add) {
    var ids = (element.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    ids = ids.filter(function (x) { return x !== id; });
    if (add) { ids.push(id); }
    if (ids.length) { element.setAttribute("aria-describedby", ids.join(" ")); }
    else { element.removeAttribute("aria-describedby"); }
  }

  function controls(element) {
    if (element.tagName === "FIELDSET") {
      return Array.prototype.slice.call(element.querySelectorAll("input, select, textarea"));
    }
    return [element];
  }

  function mark(key, message) {
    var element = document.getElementById(key);
    if (!element) { return; }
    var id = key + "-error";
    var note = document.getElementById(id);
    if (!note) {
      note = document.createElement("p");
      note.className = "field-error utrecht-form-field-error-message";
      note.id = id;
      if (element.tagName === "FIELDSET") {
        var legend = element.querySelector("legend");
        legend.parentNode.insertBefore(note, legend.nextSibling);
      } else {
        element.parentNode.insertBefore(note, element);
      }
    }
    note.textContent = message;
    if (element.tagName === "FIELDSET") {
      describedBy(element, id, true);
      controls(element).forEach(function (c) { c.setAttribute("aria-invalid", "true"); });
    } else {
      element.setAttribute("aria-invalid", "true");
      describedBy(element, id, true);
    }
    var details = element.closest("details");
    if (details) { details.open = true; }
  }

  function unmark(key) {
    var element = document.getElementById(key);
    var note = document.getElementById(key + "-error");
    if (note) { note.parentNode.removeChild(note); }
    if (!element) { return; }
    describedBy(element, key + "-error", false);
    controls(element).forEach(function (c) { c.removeAttribute("aria-invalid"); });
  }

  function showMarks(lists) {
    var wanted = {};
    lists.forEach(function (list) {
      (list || []).forEach(function (item) { wanted[item.field] = item.message; });
    });
    var notes = form.querySelectorAll(".field-error[id$='-error']");
    for (var i = 0; i < notes.length; i++) {
      var key = notes[i].id.slice(0, -"-error".length);
      if (!(key in wanted)) { unmark(key); }
    }
    Object.keys(wanted).forEach(function (key) { mark(key, wanted[key]); });
  }

  // --- the status bar ------------------------------------------------------
  var SHOWN = 3;  // links in the bar; the rest is counted (each is marked at its field)

  function say(text, links) {
    if (!status) { return; }
    status.textContent = text;
    links = links || [];
    links.slice(0, SHOWN).forEach(function (item) {
      status.appendChild(document.createTextNode(" "));
      var link = document.createElement("a");
      link.href = "#" + item.field;
      link.textContent = item.message + (item.where ? " (" + item.where + ")" : "");
      link.addEventListener("click", function (event) {
        var element = document.getElementById(item.field);
        if (!element) { return; }
        event.preventDefault();
        var target = controls(element)[0] || element;
        target.scrollIntoView({ block: "center" });
        target.focus();
      });
      status.appendChild(link);
    });
    if (links.length > SHOWN) {
      status.appendChild(document.createTextNode(
        " " + (form.dataset.more || "+{n}").replace("{n}", links.length - SHOWN)));
    }
  }

  // --- saving ------------------------------------------------------------------
  function agreementOf(name) {
    var match = /^(a\d+-|esc-\d+-)/.exec(name);
    return match ? match[1] : name;
  }

  function retry() {
    attempts += 1;
    var seconds = Math.min(60, 5 * Math.pow(2, attempts - 1));
    say((form.dataset.retry || "").replace("{s}", seconds));
    timer = setTimeout(save, seconds * 1000);
  }

  function finish() {
    busy = false;
    if (afterSave) { var next = afterSave; afterSave = null; next(); return; }
    if (pending) { pending = false; schedule(); }
  }

  function save() {
    timer = null;
    if (stopped) { return; }
    if (busy) { pending = true; return; }
    busy = true;
    var sent = dirty;
    dirty = {};
    var data = new FormData(form);
    data.delete("go");
    data.delete("action");
    say(form.dataset.saving || "");
    fetch(form.dataset.autosave, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (response.status >= 500) { throw new Error("server " + response.status); }
      return response.json().then(function (body) {
        return { status: response.status, body: body };
      }, function () {
        return { status: response.status, body: { ok: false } };
      });
    }).then(function (result) {
      var body = result.body;
      attempts = 0;
      var errors = body.errors || [];
      var failed = {};
      errors.forEach(function (item) { failed[agreementOf(item.field)] = true; });
      Object.keys(sent).forEach(function (name) {
        if (!body.ok || failed[agreementOf(name)]) { dirty[name] = true; }
      });
      if (body.ok) {
        version.value = body.version;
        showMarks([errors, body.notices, body.faults]);
        say(body.message || "", errors.concat(body.notices || [], body.faults || []));
      } else {
        if (body.conflict || result.status === 409 || !body.errors) { stopped = true; }
        showMarks([errors]);
        say(body.message || form.dataset.leave || "", errors);
      }
    }).catch(function () {
      Object.keys(sent).forEach(function (name) { dirty[name] = true; });
      busy = false;
      retry();
      busy = true;
    }).then(finish);
  }

  function schedule() {
    if (timer) { clearTimeout(timer); }
    attempts = 0;
    timer = setTimeout(save, 1500);
  }

  function changed(event) {
    var name = event.target && event.target.name;
    if (!name || name === "csrf_token") { return; }
    dirty[name] = true;
    applyConditions();
    schedule();
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function (event) {
    if (busy) {
      // Wait for the save under way: it changes the form's version.
      event.preventDefault();
      var submitter = event.submitter;
      afterSave = function () { form.requestSubmit(submitter); };
      return;
    }
    if (timer) { clearTimeout(timer); timer = null; }
    stopped = true;
    submitting = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (submitting || (!busy && !timer && Object.keys(dirty).length === 0)) { return undefined; }
    event.preventDefault();
    event.returnValue = form.dataset.leave || "";
    return form.dataset.leave || "";
  });

  applyConditions();
  say(form.dataset.auto || "");
}());
