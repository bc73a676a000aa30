// Runs before the console's first paint (a same-origin file: the Content-Security-Policy forbids
// inline scripts). Applies the remembered theme and language so the page does not flash.
(function () {
  var root = document.documentElement;
  try {
    var theme = localStorage.getItem("monihub.theme");
    if (theme !== "light" && theme !== "dark") {
      theme = window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
    }
    root.classList.toggle("dark", theme === "dark");
    var language = localStorage.getItem("monihub.language");
    if (language === "en" || language === "zh-CN") root.lang = language;
  } catch (_) {
    // Storage may be unavailable (private modes); the defaults apply.
  }
})();
