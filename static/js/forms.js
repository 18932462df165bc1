// Progressive enhancements for forms; everything works without them.
// 1. Live character counters for fields with data-counter.
// 2. Autosave: forms with data-autosave-url are saved a few seconds after typing stops.
// 3. Nothing typed is lost: a copy of the text stays in this browser until the server has it, and
//    « Télécharger mon texte » (buttons with data-download-text, and the autosave alerts) saves it as a file.
(function () {
  "use strict";

  var STORAGE_PREFIX = "beta-training:texte:";
  var MAX_DELAY = 60000;

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

  // --- The typed text: read, keep in this browser, download ----------------------------------------------

  function isTextField(field) {
    return field.tagName === "TEXTAREA" || field.tagName === "SELECT"
      || (field.tagName === "INPUT" && /^(text|email|url|number|date|search|tel)$/.test(field.type));
  }

  function textFields(form) {
    return Array.prototype.filter.call(form.elements, function (field) { return field.name && isTextField(field); });
  }

  function values(form) {
    var result = {};
    textFields(form).forEach(function (field) { result[field.name] = field.value; });
    return result;
  }

  function labelOf(field) {
    var label = field.id && document.querySelector('label[for="' + field.id + '"]');
    var text = field.name;
    if (label) {
      var copy = label.cloneNode(true);
      copy.querySelectorAll(".fr-hint-text").forEach(function (hint) { hint.remove(); });
      text = copy.textContent.replace(/\s+/g, " ").trim();
    }
    var row = /-(\d+)-/.exec(field.name);  // a row of a repeated group (indicators, milestones…)
    return row ? text + " (" + (parseInt(row[1], 10) + 1) + ")" : text;
  }

  function shownValue(field) {
    if (field.tagName === "SELECT") {
      var option = field.options[field.selectedIndex];
      return field.value && option ? option.text : "";
    }
    return field.value;
  }

  function asText(form) {
    var parts = [document.title, "Copié le " + new Date().toLocaleString("fr-FR") + " depuis " + location.href, ""];
    textFields(form).forEach(function (field) {
      var value = shownValue(field);
      if (value.trim()) parts.push("== " + labelOf(field) + " ==", value, "");
    });
    return parts.join("\n");
  }

  function download(form) {
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var name = "mon-texte-" + now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate())
      + "-" + pad(now.getHours()) + "h" + pad(now.getMinutes()) + ".txt";
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([asText(form)], { type: "text/plain;charset=utf-8" }));
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
  }

  function storageKey(form) { return STORAGE_PREFIX + form.dataset.autosaveUrl; }

  function keepCopy(form) {
    try {
      localStorage.setItem(storageKey(form), JSON.stringify({ at: new Date().toISOString(), fields: values(form) }));
    } catch (error) { /* storage full or disabled: the page and the download still hold the text */ }
  }

  function readCopy(form) {
    try { return JSON.parse(localStorage.getItem(storageKey(form)) || "null"); } catch (error) { return null; }
  }

  function forgetCopy(form) {
    try { localStorage.removeItem(storageKey(form)); } catch (error) { /* nothing to forget */ }
  }

  function button(label, className, onClick) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "fr-btn " + className;
    element.textContent = label;
    element.addEventListener("click", onClick);
    var item = document.createElement("li");
    item.appendChild(element);
    return item;
  }

  // A DSFR alert placed just before the form; `buttons` are <li> items.
  function alertBefore(form, kind, title, text, buttons) {
    var box = document.createElement("div");
    box.className = "fr-alert fr-alert--" + kind + " fr-mb-3w";
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    var heading = document.createElement("h2");
    heading.className = "fr-alert__title";
    heading.textContent = title;
    var paragraph = document.createElement("p");
    paragraph.textContent = text;
    var list = document.createElement("ul");
    list.className = "fr-btns-group fr-btns-group--inline-md fr-btns-group--sm fr-mt-2w";
    buttons.forEach(function (item) { list.appendChild(item); });
    box.appendChild(heading);
    box.appendChild(paragraph);
    box.appendChild(list);
    form.parentNode.insertBefore(box, form);
    return box;
  }

  document.querySelectorAll("button[data-download-text]").forEach(function (element) {
    var form = element.form || element.closest("form");
    if (!form) return;
    element.hidden = false;
    element.addEventListener("click", function () { download(form); });
  });

  // --- Autosave -----------------------------------------------------------------------------------------

  document.querySelectorAll("form[data-autosave-url]").forEach(function (form) {
    var status = document.getElementById(form.dataset.autosaveStatus);
    var timer = null;
    var inFlight = false;
    var pending = false;
    var stopped = false;
    var failures = 0;
    var edits = 0;

    function say(text) { if (status) status.textContent = text; }

    function delay() { return parseInt(form.dataset.autosaveDelay || "2000", 10); }

    function schedule(wait) {
      if (stopped) return;
      clearTimeout(timer);
      timer = setTimeout(save, wait === undefined ? delay() : wait);
    }

    function edited() {
      edits += 1;
      keepCopy(form);
      schedule();
    }

    // Network trouble or a server error: try again later, less and less often.
    function retryLater(message) {
      failures += 1;
      keepCopy(form);
      say(message || "Connexion perdue : le brouillon sera enregistré dès qu’elle revient. Votre texte reste sur cette page.");
      schedule(Math.min(delay() * Math.pow(2, failures - 1), MAX_DELAY));
    }

    // Refused for good (no longer editable, gone, page expired): say why, keep the text, stop trying.
    function stop(message) {
      stopped = true;
      clearTimeout(timer);
      keepCopy(form);
      say(message);
      form.dataset.autosaveStopped = "true";
      alertBefore(form, "error", "Votre texte n’est plus enregistré automatiquement", message, [
        button("Télécharger mon texte", "fr-btn--secondary", function () { download(form); })
      ]);
    }

    function handle(result) {
      var body = result.body || {};
      if (result.ok && body.saved) {
        failures = 0;
        form.dataset.savedAt = body.saved_at;
        // Optimistic locking: the next save is based on the version just written.
        var versionField = form.dataset.versionField && document.getElementById(form.dataset.versionField);
        if (versionField && body.version) versionField.value = body.version;
        if (edits === result.edits) forgetCopy(form);  // the server has everything typed so far
        say("Brouillon enregistré automatiquement à " + body.saved_at + ".");
      } else if (result.status === 0 || result.status === 429 || result.status >= 500 || (result.ok && !result.body)) {
        retryLater(result.body && body.message);
      } else if (result.status === 401 || result.status === 413 || result.status === 422
                 || (result.status === 409 && body.conflict)) {
        // Not saved, but typing on (after logging in again, shortening, completing, or comparing) may fix it.
        keepCopy(form);
        say(body.message || "Le brouillon n’a pas pu être enregistré automatiquement : utilisez le bouton d’enregistrement.");
      } else {
        stop(body.message || "Cette page ne peut plus être enregistrée. Votre texte reste sur cette page : téléchargez-le pour le garder.");
      }
    }

    function save() {
      if (stopped) return;
      if (inFlight) { pending = true; return; }
      inFlight = true;
      var sentEdits = edits;
      var data = new FormData(form);
      data.delete("action");
      fetch(form.dataset.autosaveUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
      }).then(function (response) {
        var result = { ok: response.ok, status: response.status, body: null, edits: sentEdits };
        if ((response.headers.get("Content-Type") || "").indexOf("application/json") === -1) return result;
        return response.json().then(function (body) { result.body = body; return result; }, function () { return result; });
      }).then(handle, function () {
        retryLater();
      }).finally(function () {
        inFlight = false;
        if (held) { release(); return; }  // the button was pressed meanwhile
        if (pending && !stopped) { pending = false; schedule(); }
      });
    }

    function offerCopy() {
      var copy = readCopy(form);
      if (!copy || !copy.fields) return;
      var current = values(form);
      var differs = Object.keys(copy.fields).some(function (name) {
        return name in current && (copy.fields[name] || "") !== (current[name] || "") && (copy.fields[name] || "").trim();
      });
      if (!differs) { forgetCopy(form); return; }
      var when = new Date(copy.at).toLocaleString("fr-FR");
      var box = alertBefore(form, "info", "Un texte non enregistré est gardé dans ce navigateur",
        "Le " + when + ", ce que vous tapiez sur cette page n’a pas été enregistré. Vous pouvez le remettre dans le formulaire, le télécharger ou l’oublier.", [
          button("Remettre ce texte", "", function () {
            textFields(form).forEach(function (field) {
              if (field.name in copy.fields) {
                field.value = copy.fields[field.name];
                field.dispatchEvent(new Event("input", { bubbles: true }));
              }
            });
            box.remove();
          }),
          button("Télécharger ce texte", "fr-btn--secondary", function () {
            var shown = values(form);
            textFields(form).forEach(function (field) { if (field.name in copy.fields) field.value = copy.fields[field.name]; });
            download(form);
            textFields(form).forEach(function (field) { field.value = shown[field.name]; });
          }),
          button("L’oublier", "fr-btn--tertiary", function () { forgetCopy(form); box.remove(); })
        ]);
    }

    offerCopy();
    // Sent with the button while an autosave is on its way: hold the press until the autosave has its answer
    // (a few seconds at most), else the button would post the version number that autosave is replacing and
    // conflict with its own tab.
    var held = null;
    var letThrough = false;
    form.addEventListener("submit", function (event) {
      clearTimeout(timer);
      if (inFlight && !letThrough) {
        event.preventDefault();
        if (!held) held = { button: event.submitter || undefined, timeout: setTimeout(release, 5000) };
        return;
      }
      // The server now answers for the text (saved, or shown back with the errors). After a refusal for good
      // the copy stays, to be offered when this form can be edited again.
      if (!stopped) forgetCopy(form);
    });

    function release() {
      if (!held) return;
      var button = held.button;
      clearTimeout(held.timeout);
      held = null;
      letThrough = true;
      if (form.requestSubmit) form.requestSubmit(button); else form.submit();
    }

    form.addEventListener("input", edited);
    form.addEventListener("change", edited);
    window.addEventListener("online", function () { if (failures) schedule(0); });
    // Typed before this script ran (slow connection): those keystrokes fired no event, save them too.
    var typedEarly = textFields(form).some(function (field) {
      return field.tagName !== "SELECT" && field.value !== field.defaultValue;
    });
    if (typedEarly) edited();
  });
})();
