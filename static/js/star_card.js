// The star card's code rotates every step (settings.ROTATING_CODE_STEP_SECONDS): fetch a
// fresh one each step and put its QR code and validity in place, so that the card shown is
// always good and a screenshot soon is not. Should the fetch fail (signed out, offline),
// reload the page, which shows what the server says.
(function () {
  "use strict";
  var card = document.getElementById("star-card");
  if (!card || !card.dataset.codeUrl) {
    return;
  }
  var seconds = parseInt(card.dataset.refreshSeconds, 10) || 60;

  function show(data) {
    // Parsed as HTML, the <svg> lands in the SVG namespace and is drawn.
    var parsed = new DOMParser().parseFromString(data.svg, "text/html");
    var svg = parsed.body.firstElementChild;
    if (!svg) {
      return;
    }
    document.getElementById("star-card-qr").replaceChildren(document.importNode(svg, true));
    var until = document.getElementById("star-card-valid-until");
    until.dateTime = data.valid_until;
    // An ISO time with its offset: the clock time is characters 11 to 19.
    until.textContent = data.valid_until.slice(11, 19);
  }

  function refresh() {
    fetch(card.dataset.codeUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(show)
      .catch(function () {
        window.location.reload();
      });
  }

  window.setInterval(refresh, seconds * 1000);
})();
