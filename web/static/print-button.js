// "Afdrukken" buttons (data-print) exist only where scripts run: without
// them the page says to print through the browser's menu.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
