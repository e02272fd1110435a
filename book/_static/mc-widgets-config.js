// Tell require.js where the site keeps the third-party widget modules, so that the ipywidgets HTML manager finds
// anywidget here instead of on a CDN. Paths are made absolute from this script's own address, so that pages at
// any depth of the site resolve them alike.
(function () {
  var here = document.currentScript.src;
  var offline = here.substring(0, here.lastIndexOf("/") + 1) + "offline/";
  window.require.config({ paths: { anywidget: offline + "anywidget/index" } });
})();
