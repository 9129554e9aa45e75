// A state as a coloured badge (colours are CSS variables per state; see styles.css).
export function StateBadge({ state }: { state: string | null | undefined }) {
  const label = state ?? "NOT STARTED";
  return (
    <span className={`badge state-${(state ?? "none").toLowerCase()}`} data-state={label}>
      {label}
    </span>
  );
}
