// Keeps Today's numbers current without reloading; the page is complete without it.
"use strict";
(function () {
  function duration(seconds) {
    const minutes = Math.floor(seconds / 60);
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    return hours ? `${hours} h ${String(rest).padStart(2, "0")} min` : `${minutes} min`;
  }
  function set(id, text) {
    const el = document.getElementById(id);
    if (el && el.textContent !== text) el.textContent = text;
  }
  async function refresh() {
    try {
      const response = await fetch("/api/v1/today", { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const day = await response.json();
      set("sitting", duration(day.totals.sitting_seconds));
      set("streak", duration(day.current.streak_seconds));
      set("longest", duration(day.totals.longest_streak_seconds));
      set("breaks", String(day.totals.breaks));
      set("prompts", String(day.totals.prompts));
      set("activity", day.current.activity);
      set("now", day.now.slice(11, 16));
    } catch (err) {
      // The daemon may be restarting; try again on the next beat.
    }
  }
  setInterval(refresh, 2000);
})();
