/* The review page's small map of the report's place. Without JavaScript the page shows the place
   name and the coordinates as text. The marker follows the coordinates typed in the form. */
(function () {
  "use strict";
  var box = document.getElementById("place-map");
  if (!box || !window.L) return;
  var data = box.dataset;
  var at = [Number(data.lat), Number(data.lng)];
  box.hidden = false;
  var map = L.map(box, { scrollWheelZoom: false }).setView(at, 14);
  L.tileLayer(data.tiles, { maxZoom: 19, attribution: data.attribution }).addTo(map);
  var marker = L.marker(at, {
    keyboard: false,
    icon: L.divIcon({ className: "place-marker", html: "<span></span>", iconSize: [18, 18] }),
  }).addTo(map);
  var lat = document.getElementById("id_latitude");
  var lng = document.getElementById("id_longitude");
  function follow() {
    var a = Number(lat.value), b = Number(lng.value);
    if (lat.value && lng.value && isFinite(a) && isFinite(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180) {
      marker.setLatLng([a, b]);
      map.panTo([a, b]);
    }
  }
  if (lat && lng) {
    lat.addEventListener("change", follow);
    lng.addEventListener("change", follow);
  }
})();
