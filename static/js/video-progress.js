// Records a video as finished when the learner reaches 95 % of it. The « J'ai terminé » button does the
// same without JavaScript or for embedded players we cannot listen to.
(function () {
  "use strict";
  document.querySelectorAll("video[data-complete-url]").forEach(function (video) {
    var sent = false;
    var status = document.getElementById(video.dataset.status);
    video.addEventListener("timeupdate", function () {
      if (sent || !video.duration || video.currentTime / video.duration < 0.95) return;
      sent = true;
      var data = new FormData();
      data.append("csrf_token", video.dataset.csrf);
      data.append("source", "video");
      fetch(video.dataset.completeUrl, {
        method: "POST", body: data, credentials: "same-origin", headers: { "X-Requested-With": "fetch" }
      }).then(function (response) { return response.json(); }).then(function (body) {
        if (status) status.textContent = body.message || "Vidéo terminée : votre progression est enregistrée.";
      }).catch(function () {
        sent = false;  // try again on the next timeupdate
      });
    });
  });
})();
