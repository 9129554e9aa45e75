// Ways into the Compare page: its URL ("Compare with previous run" on a run's page,
// RunActions.tsx, opens it; the search palette links to /compare too).

/** The URL of the Compare page for these runs (in this column order). */
export function compareUrl(runIds: string[]): string {
  return `/compare?runs=${runIds.map(encodeURIComponent).join(",")}`;
}
