// The task side panel's tabs and their titles (in the URL as ?tab=).
export type PanelTab = "overview" | "logs" | "cache" | "viz";
export const PANEL_TABS: readonly PanelTab[] = ["overview", "logs", "cache", "viz"];
export const TAB_TITLES: Record<PanelTab, string> = { overview: "Overview", logs: "Logs", cache: "Cache", viz: "Visualizations" };
