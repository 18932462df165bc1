// Progressive enhancements for forms; everything works without them.
// 1. Live character counters for fields with data-counter.
// 2. Autosave: forms with data-autosave-url are saved a few seconds after typing stops.
(function () {
  "use strict";

  function updateCounter(field) {
    var counter = document.getElementById(field.dataset.counter);
    if (!counter) return;
    var max = parseInt(counter.dataset.max, 10);
    counter.textContent = field.value.length + " / " + max + " caractères";
  }

  document.querySelectorAll("[data-counter]").forEach(function (field) {
    field.addEventListener("input", function () { updateCounter(field); });
    updateCounter(field);
  });

  document.querySelectorAll("form[data-autosave-url]").forEach(function (form) {
    var status = document.getElementById(form.dataset.autosaveStatus);
    var timer = null;
    var inFlight = false;
    var pending = false;

    function say(text) { if (status) status.textContent = text; }

    function save() {
      if (inFlight) { pending = true; return; }
      inFlight = true;
      var data = new FormData(form);
      data.delete("action");
      fetch(form.dataset.autosaveUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" }
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        if (result.ok && result.body.saved) {
          form.dataset.savedAt = result.body.saved_at;
          // Optimistic locking: the next save is based on the version just written.
          var versionField = form.dataset.versionField && document.getElementById(form.dataset.versionField);
          if (versionField && result.body.version) versionField.value = result.body.version;
          say("Brouillon enregistré automatiquement à " + result.body.saved_at + ".");
        } else {
          say(result.body.message || "Le brouillon n’a pas pu être enregistré automatiquement : utilisez le bouton « Enregistrer le brouillon ».");
        }
      }).catch(function () {
        say("Connexion perdue : le brouillon sera enregistré dès qu’elle revient. Vous pouvez aussi utiliser le bouton « Enregistrer le brouillon ».");
        pending = true;
      }).finally(function () {
        inFlight = false;
        if (pending) { pending = false; schedule(); }
      });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(save, parseInt(form.dataset.autosaveDelay || "2000", 10));
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
    window.addEventListener("online", schedule);
    // Typed before this script ran (slow connection): those keystrokes fired no event, save them too.
    var typedEarly = Array.prototype.some.call(form.elements, function (field) {
      return (field.tagName === "TEXTAREA" || (field.tagName === "INPUT" && /^(text|email|url|number|date|search|tel)$/.test(field.type)))
        && field.value !== field.defaultValue;
    });
    if (typedEarly) schedule();
  });
})();
