// Keeps Today current without reloading; the page is complete without it.
"use strict";
(function () {
  const BEAT_MS = 2000;
  const REDRAW_EVERY = 15; // beats between timeline redraws (the numbers update on every beat)
  let beats = 0;
  let lastPrompts = null;

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
  function controlState(status) {
    if (!status) return null;
    if (status.paused) return "Prompts are paused.";
    if (status.snoozed_until) return `Prompts snoozed until ${status.snoozed_until.slice(11, 16)}.`;
    return "Prompts are on.";
  }
  // The timeline and prompt table are drawn by the server; fetch the page and swap those parts in.
  async function redraw() {
    const response = await fetch("/", { headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const id of ["timeline-section", "prompt-list"]) {
      const fresh = doc.getElementById(id);
      const current = document.getElementById(id);
      if (fresh && current) current.replaceWith(document.importNode(fresh, true));
    }
  }
  async function refresh() {
    try {
      const response = await fetch("/api/v1/today", { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const day = await response.json();
      const t = day.totals;
      const seated = t.upright_seconds + t.slumped_seconds;
      set("sitting", duration(t.sitting_seconds));
      set("streak", duration(day.current.streak_seconds));
      set("streak-note", day.current.sitting_since ? `sitting since ${day.current.sitting_since.slice(11, 16)}` : "not sitting");
      set("longest", duration(t.longest_streak_seconds));
      set("breaks", String(t.breaks));
      set("prompts", String(t.prompts));
      if (seated) {
        set("upright-share", `${Math.round(100 * t.upright_seconds / seated)} % upright`);
        set("posture-note", `${duration(t.upright_seconds)} upright · ${duration(t.slumped_seconds)} slumped`);
      }
      set("activity", day.current.activity);
      set("now", day.now.slice(11, 16));
      const state = controlState(day.status);
      if (state) set("control-state", state);
      const card = document.getElementById("streak-card");
      if (card) card.classList.toggle("warn", day.current.streak_seconds >= 1800);
      beats += 1;
      if ((lastPrompts !== null && lastPrompts !== t.prompts) || beats % REDRAW_EVERY === 0) await redraw();
      lastPrompts = t.prompts;
    } catch (err) {
      // The daemon may be restarting; try again on the next beat.
    }
  }
  setInterval(refresh, BEAT_MS);
})();
