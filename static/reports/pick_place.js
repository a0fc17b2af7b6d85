/* The report form's map (templates/reports/web_form.html): with JavaScript, a button loads Leaflet on
   demand (nothing heavy for those who type) and a click on the map fills the coordinate boxes. */
(function () {
  "use strict";
  var box = document.getElementById("pick-place");
  var lat = document.getElementById("id_latitude"), lng = document.getElementById("id_longitude");
  if (!box || !lat || !lng || !document.querySelector) return;
  var data = box.dataset;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "secondary";
  button.textContent = data.open;
  box.parentNode.insertBefore(button, box);
  button.addEventListener("click", function () {
    button.disabled = true;
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = data.css;
    document.head.appendChild(css);
    var script = document.createElement("script");
    script.src = data.js;
    script.onload = function () {
      button.remove();
      box.hidden = false;
      var start = lat.value && lng.value ? [Number(lat.value), Number(lng.value)] : null;
      var map = L.map("pick-place-map").setView(start || [Number(data.lat), Number(data.lng)], start ? 15 : Number(data.zoom));
      L.tileLayer(data.tiles, { maxZoom: 19, attribution: data.attribution }).addTo(map);
      var marker = start ? L.marker(start).addTo(map) : null;
      map.on("click", function (event) {
        var point = event.latlng.wrap();
        lat.value = point.lat.toFixed(6);
        lng.value = point.lng.toFixed(6);
        if (marker) { marker.setLatLng(point); } else { marker = L.marker(point).addTo(map); }
        var precision = document.getElementById("id_location_precision");
        if (precision) precision.value = "near";
      });
    };
    script.onerror = function () { button.disabled = false; };
    document.body.appendChild(script);
  });
})();
