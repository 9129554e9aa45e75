// The AIP-160 filter box of the metadata pages: field autocomplete (Tab or click takes a
// suggestion), the filter in the URL, and facets that add or drop one `field="value"`.
import { useRef, useState } from "react";
import { useDraft } from "../useDraft";
import { complete, facetValue, suggest, toggleFacet } from "./filter";

interface Props {
  label: string;
  value: string;
  fields: readonly string[];
  onApply: (filter: string) => void;
}

export function MetadataFilter({ label, value, fields, onApply }: Props) {
  const [draft, setDraft] = useDraft(value);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const options = open ? suggest(draft, fields) : [];

  const take = (field: string) => {
    setDraft(complete(draft, field));
    setActive(0);
    input.current?.focus();
  };

  return (
    <form
      className="meta-filter"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        setOpen(false);
        onApply(draft.trim());
      }}
    >
      <input
        ref={input}
        type="search"
        aria-label={label}
        placeholder='Filter, e.g. schema_title="system.Model" AND metadata.accuracy.number_value>0.5'
        value={draft}
        autoComplete="off"
        role="combobox"
        aria-expanded={options.length > 0}
        aria-controls="filter-fields"
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onChange={(event) => {
          setDraft(event.target.value);
          setOpen(true);
          setActive(0);
        }}
        onKeyDown={(event) => {
          if (options.length === 0) return;
          if (event.key === "Tab" || (event.key === "ArrowRight" && event.currentTarget.selectionStart === draft.length)) {
            const choice = options[active];
            if (choice !== undefined) {
              event.preventDefault();
              take(choice);
            }
          } else if (event.key === "ArrowDown") {
            event.preventDefault();
            setActive((index) => Math.min(index + 1, options.length - 1));
          } else if (event.key === "ArrowUp") {
            event.preventDefault();
            setActive((index) => Math.max(index - 1, 0));
          } else if (event.key === "Escape") {
            setOpen(false);
          }
        }}
      />
      <button type="submit">Apply</button>
      {value ? (
        <button type="button" className="ghost" onClick={() => onApply("")}>
          Clear
        </button>
      ) : null}
      {options.length > 0 ? (
        <ul id="filter-fields" role="listbox" aria-label="Filter fields" className="meta-suggestions">
          {options.map((field, index) => (
            <li
              key={field}
              role="option"
              aria-selected={index === active}
              className={index === active ? "active" : ""}
              onMouseDown={(event) => {
                event.preventDefault();
                take(field);
              }}
            >
              {field}
            </li>
          ))}
        </ul>
      ) : null}
    </form>
  );
}

/** Facet buttons: one per type or state with its count; pressed when it is in the filter. */
export function Facets({ label, field, facets, filter, onApply }: { label: string; field: string; facets: Record<string, number>; filter: string; onApply: (filter: string) => void }) {
  const chosen = facetValue(filter, field);
  return (
    <div className="meta-facets" role="group" aria-label={label}>
      {Object.entries(facets).map(([value, count]) => (
        <button key={value} type="button" className={`chip-button${chosen === value ? " on" : ""}`} aria-pressed={chosen === value} onClick={() => onApply(toggleFacet(filter, field, value))}>
          {value} <span className="muted">{count}</span>
        </button>
      ))}
    </div>
  );
}
