/* The report map: Leaflet draws what clusters.json answers for the current view, and the list beside
   the map follows the area shown once the person moves the map (or when the address names an
   area). It opens on the published reports' extent, which the server works out. Without this
   script the page is the filter form and the list. */
(function () {
  "use strict";
  var box = document.getElementById("report-map");
  if (!box || !window.L || !window.fetch) return;
  var data = box.dataset;
  var help = document.getElementById("map-help");
  var status = document.getElementById("map-status");
  var list = document.getElementById("report-list");
  var areaInput = document.querySelector("#map-filters input[name=bbox]");
  var subscribe = document.getElementById("subscribe-link");
  box.hidden = false;
  help.hidden = false;

  function edges(text) {
    var b = text.split(",").map(Number);
    return [[b[0], b[1]], [b[2], b[3]]];
  }

  // Where the published reports are, worked out on the server (south,west,north,east).
  var extent = data.extent ? edges(data.extent) : null;
  function fitReports() {
    if (extent) {
      map.fitBounds(extent, { maxZoom: 15, padding: [16, 16] });
    } else {
      map.setView([Number(data.lat), Number(data.lng)], Number(data.zoom));
    }
  }

  var map = L.map(box, { worldCopyJump: true, minZoom: 2 });
  L.tileLayer(data.tiles, { maxZoom: 19, attribution: data.attribution }).addTo(map);
  // An area in the address: the list is for that area and follows the map as it moves. None: the
  // map opens on every report and the list is everywhere, until the person moves the map.
  var following = Boolean(data.bbox);
  if (following) {
    map.fitBounds(edges(data.bbox));
  } else {
    fitReports();
  }
  ["mousedown", "touchstart", "wheel", "keydown"].forEach(function (name) {
    box.addEventListener(name, function () { following = true; }, { passive: true });
  });
  var layer = L.layerGroup().addTo(map);
  var pending = null;
  var timer = null;
  // The list's page from the address (a "Next" link reloads the page with it). It holds for the
  // first answer only: once the map moves, the list starts again at its first page.
  var firstPage = (/[?&]page=(\d+)/.exec(window.location.search) || [])[1];

  function text(template, count) {
    return template.replace("{count}", count.toLocaleString());
  }

  function wrap(lng) {
    return lng >= -180 && lng <= 180 ? lng : ((((lng + 180) % 360) + 360) % 360) - 180;
  }

  // south,west,north,east; a view across the antimeridian has west > east, as the server expects.
  function area() {
    var bounds = map.getBounds();
    var west = bounds.getWest(), east = bounds.getEast();
    if (east - west >= 360) { west = -180; east = 180; } else { west = wrap(west); east = wrap(east); }
    return [Math.max(bounds.getSouth(), -90), west, Math.min(bounds.getNorth(), 90), east]
      .map(function (value) { return value.toFixed(5); });
  }

  function query(edges, extra) {
    var parts = data.filters ? [data.filters] : [];
    parts.push("bbox=" + edges.join(","));
    if (extra) parts.push(extra);
    return "?" + parts.join("&");
  }

  function colour(answer, category) {
    return (category && answer.colours[category]) || "#0b6b3a";
  }

  function marker(lat, lng, label, size, fill, content) {
    // An element with its colour set through the DOM: the Content-Security-Policy refuses style=""
    // in HTML text, not styles that a script sets.
    var dot = document.createElement("span");
    dot.style.background = fill;
    dot.textContent = content;
    // Not focusable: keyboard and screen-reader users have the list beside the map, which holds the
    // same reports, and the map itself pans and zooms from the keyboard.
    return L.marker([lat, lng], {
      title: label,
      keyboard: false,
      icon: L.divIcon({ className: "map-marker", html: dot, iconSize: [size, size] }),
    });
  }

  function draw(answer) {
    layer.clearLayers();
    if (answer.kind === "clusters") {
      answer.clusters.forEach(function (cluster) {
        var size = Math.round(26 + 8 * Math.log10(cluster.count));
        var item = marker(cluster.lat, cluster.lng, text(data.textCluster, cluster.count), size,
          colour(answer, cluster.category), cluster.count.toLocaleString());
        item.on("click", function () { map.setView([cluster.lat, cluster.lng], Math.min(map.getZoom() + 2, 18)); });
        layer.addLayer(item);
      });
    } else {
      answer.points.forEach(function (point) {
        var link = document.createElement("a");
        link.href = point.url;
        link.textContent = point.title;
        layer.addLayer(marker(point.lat, point.lng, point.title, 24, colour(answer, point.category), "")
          .bindPopup(link));
      });
    }
    status.textContent = text(data.textStatus, answer.total);
  }

  var listPending = null;

  function refreshList(edgesOrNull, page) {
    if (listPending) listPending.abort();
    listPending = new AbortController();
    var signal = listPending.signal;
    // Busy until the list for this view is in: screen readers wait for it, and so can tests.
    list.setAttribute("aria-busy", "true");
    var url = data.listUrl + (edgesOrNull ? query(edgesOrNull, page) : (data.filters ? "?" + data.filters : ""));
    fetch(url, { signal: signal })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.text(); })
      .then(function (html) { list.innerHTML = html; })
      .catch(function () { /* the list already on the page stays */ })
      .then(function () { if (!signal.aborted) list.removeAttribute("aria-busy"); });
  }

  function refresh() {
    if (pending) pending.abort();
    pending = new AbortController();
    var view = area();
    if (following) {
      if (areaInput) areaInput.value = view.join(",");
      if (subscribe) subscribe.search = "?bbox=" + view.join(",");
    }
    var signal = pending.signal;
    fetch(data.clustersUrl + query(view, "zoom=" + map.getZoom()), { signal: signal })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(draw)
      .catch(function (error) { if (error.name !== "AbortError") status.textContent = data.textFailed; });
    if (following) {
      var page = firstPage ? "page=" + firstPage : "";
      firstPage = null;
      refreshList(view, page);
    }
  }

  // "Show the reports everywhere": the map goes back to every report and the list to all of them,
  // without reloading the page (the link does the same without JavaScript).
  list.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-everywhere]");
    if (!link) return;
    event.preventDefault();
    following = false;
    firstPage = null;
    if (areaInput) areaInput.value = "";
    if (subscribe) subscribe.search = "";
    refreshList(null, "");
    fitReports();  // the clusters follow when the map has moved
  });

  map.on("moveend", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  refresh();
})();
