//! The panel's stylesheet, injected into its shadow root.
//!
//! Inherited properties (font, colour) and CSS custom properties reach into a shadow
//! root, so hosts can theme the panel through `--mcr-*` variables and nothing else.
//!
//! Sizes are in `em`, after the NHS.UK frontend adapted for `:host`: the panel follows
//! the text size of the element it is in, not the page's root. Text comes in few sizes
//! — the host's (1em), small (0.875em, NHS.UK's 14px of 16px), the patient's name
//! (1.25em) — and text already small does not shrink again inside small text (the
//! `font-size: 1em` rules below), since `em` compounds where `rem` did not. Few sizes
//! also means few font "strikes" (face × size × weight) for the browser to look up the
//! first time the panel draws: in a fresh page each new one cost a few milliseconds
//! (`FontCache::GetFontPlatformData` in a trace), about half the first render at 100 entries.

/// CSS for everything inside the panel.
pub const PANEL_CSS: &str = r#"
:host { display: block; font-family: var(--mcr-font, Arial, sans-serif); color: var(--mcr-text, #212b32); }
/* The panel's own width, not the window's, decides its layout (@container below). */
.mcr-panel { container: mcr-panel / inline-size; border: 1px solid #d8dde0; border-radius: 4px; background: #fff; padding: 0.75em; }
.mcr-banner { background: var(--mcr-banner-bg, #005eb8); color: #fff; padding: 0.6em 0.8em; border-radius: 3px; }
.mcr-banner--unknown { background: #4c6272; }
.mcr-name { margin: 0 0 0.3em; font-size: 1.25em; }
.mcr-demographics { display: flex; flex-wrap: wrap; gap: 0.2em 1.4em; margin: 0; }
.mcr-field { display: flex; gap: 0.35em; }
.mcr-field dt { font-weight: normal; opacity: 0.85; }
.mcr-field dt::after { content: ":"; }
.mcr-field dd { margin: 0; font-weight: bold; }
.mcr-deceased { background: #000; color: #fff; display: inline-block; padding: 0.1em 0.5em; margin: 0 0 0.3em; font-weight: bold; }
.mcr-sources h3, .mcr-section h3 { font-size: 1em; margin: 0.8em 0 0.3em; }
.mcr-sources ul, .mcr-entries { list-style: none; margin: 0; padding: 0; }
.mcr-source--answered .mcr-source-state { color: #007f3b; }
.mcr-source--problem .mcr-source-state { color: #d5281b; font-weight: bold; }
.mcr-count { font-weight: normal; color: #4c6272; }
/* GP and other services: stacked in a narrow panel, side by side in a wide one. */
.mcr-columns { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0 1em; }
@container mcr-panel (min-width: 40em) {
  .mcr-columns { grid-template-columns: none; grid-auto-flow: column; grid-auto-columns: minmax(0, 1fr); }
}
.mcr-column h4 { font-size: 1em; margin: 0.4em 0 0.2em; color: #4c6272; }
.mcr-entry-value { font-weight: bold; }
.mcr-entry-flag { color: #8a4f00; background: #fff9e6; padding: 0 0.3em; font-size: 0.875em; }
.mcr-source-kind { color: #4c6272; font-size: 0.875em; }
.mcr-retry { font: inherit; font-size: 0.875em; margin-left: 0.5em; color: #005eb8; background: #fff; border: 1px solid #005eb8; border-radius: 3px; padding: 0 0.5em; cursor: pointer; }
.mcr-source-note { display: block; font-size: 0.875em; color: #8a4f00; margin-left: 1em; }
.mcr-entry { border-top: 1px solid #e8edee; padding: 0.35em 0; display: flex; flex-direction: column; }
.mcr-entry-title { font-weight: bold; }
.mcr-entry-detail { font-size: 0.875em; }
.mcr-entry-meta { font-size: 0.875em; color: #4c6272; }
.mcr-empty { color: #4c6272; font-style: italic; }
.mcr-loading { color: #4c6272; }
.mcr-entry-annotations { display: flex; gap: 0.8em; }
.mcr-entry-comments { font-size: 0.875em; color: #005eb8; font-weight: bold; }
.mcr-entry-comment, .mcr-comment-retract { align-self: flex-start; font: inherit; font-size: 0.875em; color: #005eb8; background: none; border: 0; padding: 0; text-decoration: underline; cursor: pointer; }
.mcr-comments { border-top: 2px solid #d8dde0; margin-top: 0.8em; }
.mcr-comments-list { list-style: none; margin: 0; padding: 0; }
.mcr-comment { border-top: 1px solid #e8edee; padding: 0.4em 0; display: flex; flex-direction: column; }
.mcr-comment--new { border-left: 4px solid #ffb81c; padding-left: 0.5em; background: #fffbeb; }
.mcr-comment-new { font-weight: bold; color: #8a4f00; }
.mcr-comment-meta, .mcr-comment-about { margin: 0; font-size: 0.875em; color: #4c6272; }
.mcr-comment-about button { align-self: flex-start; font: inherit; color: #005eb8; background: none; border: 0; padding: 0; text-decoration: underline; cursor: pointer; }
/* Comment text is plain text: kept as typed, and isolated so that bidirectional control
   characters inside it cannot reorder anything around it. */
.mcr-comment-body { margin: 0.2em 0; white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: isolate; }
.mcr-comment-retracted { margin: 0.2em 0; font-style: italic; color: #4c6272; }
.mcr-comment-form { display: flex; flex-direction: column; gap: 0.3em; margin-top: 0.6em; }
.mcr-comment-form label { font-weight: bold; }
.mcr-comment-form textarea { font: inherit; padding: 0.3em; border: 2px solid #4c6272; }
.mcr-comment-form textarea:focus, .mcr-comment-form button:focus { outline: 3px solid #ffeb3b; }
.mcr-comment-count { margin: 0; font-size: 0.875em; color: #4c6272; }
.mcr-comment-count--over { color: #d5281b; font-weight: bold; }
.mcr-comment-form button[type=submit] { align-self: flex-start; font: inherit; background: #007f3b; color: #fff; border: 0; padding: 0.35em 0.9em; border-radius: 3px; cursor: pointer; }
.mcr-comment-form button[disabled] { background: #768692; cursor: default; }
.mcr-emergency { background: #d5281b; color: #fff; padding: 0.5em 0.8em; margin-bottom: 0.6em; border-radius: 3px; }
.mcr-break-glass { display: flex; flex-direction: column; gap: 0.3em; margin-top: 0.6em; padding: 0.6em 0.8em; border: 2px solid #d5281b; }
.mcr-break-glass h3 { margin: 0; font-size: 1em; }
.mcr-break-glass p { margin: 0; }
.mcr-break-glass label { font-weight: bold; }
.mcr-break-glass textarea, .mcr-break-glass select { font: inherit; padding: 0.3em; border: 2px solid #4c6272; }
.mcr-break-glass button { align-self: flex-start; font: inherit; background: #d5281b; color: #fff; border: 0; padding: 0.35em 0.9em; border-radius: 3px; cursor: pointer; }
.mcr-break-glass button[disabled] { background: #768692; }
.mcr-dataset { background: #e8edee; padding: 0.4em 0.8em; font-size: 0.875em; }
.mcr-mismatch { border: 4px solid #d5281b; background: #fff4f4; padding: 0.5em 0.8em; margin-bottom: 0.6em; }
.mcr-stale { background: #ffeb3b; padding: 0.5em 0.8em; margin-bottom: 0.6em; font-weight: bold; }
.mcr-stale button { font: inherit; margin-left: 0.5em; }
.mcr-retrieved { margin: 0 0 0.4em; font-size: 0.875em; color: #4c6272; }
.mcr-filter { display: flex; flex-wrap: wrap; gap: 0.4em 1em; align-items: flex-end; margin: 0.6em 0; padding: 0.4em 0.6em; background: #f0f4f5; font-size: 0.875em; }
.mcr-filter label { display: flex; flex-direction: column; font-weight: bold; }
.mcr-filter input, .mcr-filter select { font: inherit; font-weight: normal; padding: 0.15em 0.3em; border: 2px solid #4c6272; }
.mcr-filter-clear { font: inherit; color: #005eb8; background: none; border: 0; text-decoration: underline; cursor: pointer; }
button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible, textarea:focus-visible { outline: 3px solid #ffeb3b; box-shadow: 0 0 0 5px #212b32; }
/* Tabs, after the NHS.UK tabs: grey tabs on a rule, the selected one white and joined
   to its panel. In em, so they follow the host's text size; they wrap when narrow. */
.mcr-tablist { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 0.25em; margin: 0.75em 0 0; border-bottom: 1px solid #d8dde0; }
.mcr-tab { font: inherit; color: #212b32; background: #d8dde0; border: 0; margin: 0; padding: 0.5em 1em; text-decoration: underline; text-underline-offset: 0.15em; cursor: pointer; }
.mcr-tab:hover { text-decoration-thickness: 0.15em; }
.mcr-tab .mcr-count { color: inherit; }
.mcr-tab--selected { background: #fff; border: 1px solid #d8dde0; border-bottom: 0; margin-bottom: -1px; padding: calc(0.75em - 1px) calc(1em - 1px) calc(0.75em + 1px); text-decoration: none; }
.mcr-tab:focus-visible { position: relative; text-decoration: none; }
.mcr-tabpanel { border: 1px solid #d8dde0; border-top: 0; padding: 0.5em 1em 1em; }
.mcr-tabpanel:focus-visible { outline: 3px solid #ffeb3b; box-shadow: 0 0 0 5px #212b32; }
.mcr-tabpanel .mcr-summary { border: 0; padding: 0; margin: 0; }
.mcr-print-all { display: none; }
.mcr-narrative summary { font-size: 0.875em; color: #005eb8; cursor: pointer; }
.mcr-narrative-body { border-left: 3px solid #d8dde0; padding: 0.2em 0.6em; margin: 0.2em 0; font-size: 0.875em; overflow-wrap: anywhere; }
.mcr-narrative-body table { border-collapse: collapse; }
.mcr-narrative-body td, .mcr-narrative-body th { border: 1px solid #d8dde0; padding: 0.1em 0.3em; }
.mcr-summary { border: 1px solid #d8dde0; border-left: 4px solid #005eb8; padding: 0.2em 0.8em 0.5em; margin: 0.6em 0; }
.mcr-summary h3 { font-size: 1em; margin: 0.4em 0; }
.mcr-summary-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(14em, 1fr)); gap: 0.2em 1.2em; }
.mcr-summary-part h4 { font-size: 1em; margin: 0.3em 0 0.1em; }
.mcr-summary-item { border-top: 1px solid #e8edee; padding: 0.2em 0; display: flex; flex-direction: column; font-size: 0.875em; }
.mcr-summary-item .mcr-entry-meta { font-size: 1em; }
.mcr-more { font: inherit; font-size: 0.875em; margin: 0.3em 0; color: #005eb8; background: #fff; border: 1px solid #005eb8; border-radius: 3px; padding: 0.2em 0.6em; cursor: pointer; }
.mcr-legend { margin: 0.2em 0; font-size: 0.875em; color: #4c6272; }
.mcr-comparison, .mcr-trends { margin: 0.3em 0 0.6em; }
.mcr-comparison summary h4, .mcr-trends summary h4 { display: inline; font-size: 1em; }
.mcr-compare { border-collapse: collapse; width: 100%; margin: 0.4em 0; font-size: 0.875em; }
.mcr-compare caption { text-align: left; font-weight: bold; padding: 0.2em 0; }
.mcr-compare th, .mcr-compare td { border-top: 1px solid #d8dde0; padding: 0.3em; text-align: left; vertical-align: top; }
.mcr-compare td { display: table-cell; }
.mcr-compare td > span { display: block; }
.mcr-compare .mcr-entry-detail, .mcr-compare .mcr-entry-meta { font-size: 1em; }
.mcr-change th[scope=row] { white-space: nowrap; }
.mcr-change--started th, .mcr-change--stopped th, .mcr-change--dose-changed th { color: #8a4f00; border-left: 4px solid #ffb81c; }
.mcr-change--gp-since th { color: #005eb8; }
.mcr-change--unchanged th { color: #4c6272; font-weight: normal; }
.mcr-trend-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(15em, 1fr)); gap: 0.6em 1em; }
.mcr-trend { margin: 0; }
.mcr-trend-plot { width: 100%; height: auto; display: block; }
.mcr-trend figcaption { font-size: 0.875em; }
.mcr-range { fill: #e6f4ea; }
.mcr-axis { stroke: #768692; stroke-width: 1; }
.mcr-tick { font-size: 9px; fill: #4c6272; }
.mcr-trend-line { fill: none; stroke: #768692; stroke-width: 1; }
.mcr-points { fill: #fff; stroke: #005eb8; stroke-width: 1.5; }
.mcr-points--abnormal { fill: #d5281b; stroke: #d5281b; }
/* Printed: everything readable, nothing to click. Every tab is printed, not only the
   selected one: the panel builds them all into .mcr-print-all on beforeprint (with
   folded text opened), and that copy replaces the tabs on paper. */
@media print {
  .mcr-panel { border: 0; padding: 0; }
  .mcr-tablist { display: none; }
  .mcr-record:has(.mcr-print-all > *) > .mcr-tabpanel { display: none; }
  .mcr-print-all { display: block; }
  .mcr-tabpanel { border: 0; padding: 0; }
  .mcr-filter, .mcr-retry, .mcr-entry-comment, .mcr-comment-retract, .mcr-comment-form, .mcr-stale button { display: none; }
  .mcr-banner { background: #fff; color: #000; border: 2px solid #000; }
  .mcr-columns { grid-template-columns: 1fr 1fr; }
  .mcr-entry, .mcr-trend, .mcr-compare tr { break-inside: avoid; }
  .mcr-points--abnormal { fill: #000; stroke: #000; }
}
.mcr-error { border-left: 6px solid #d5281b; padding: 0.5em 0.8em; background: #fff4f4; }
"#;
