// The parts the New run form and the recurring-run page share: typed parameter inputs and
// the trigger fields with the live preview of the next fire times (N9).
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, UI_API, type ApiError } from "../api/client";
import type { components } from "../api/schema";
import { cronInWords, intervalInWords } from "./cron";
import type { ParamField } from "./params";
import { draftErrors, type TriggerDraft } from "./trigger";
import "./forms.css";

type CronPreview = components["schemas"]["CronPreview"];

const TYPE_LABEL: Record<string, string> = {
  STRING: "string",
  NUMBER_INTEGER: "int",
  NUMBER_DOUBLE: "float",
  BOOLEAN: "bool",
  LIST: "list, JSON",
  STRUCT: "dict, JSON",
};

/** One input per pipeline parameter: text for scalars, a JSON editor for lists and structs. */
export function ParamInputs({
  fields,
  texts,
  errors,
  onChange,
}: {
  fields: readonly ParamField[];
  texts: Record<string, string>;
  errors: Record<string, string>;
  onChange: (name: string, text: string) => void;
}) {
  if (fields.length === 0) return <p className="muted">This pipeline takes no parameters.</p>;
  return (
    <div className="form-grid">
      {fields.map((field) => {
        const id = `param-${field.name}`;
        const error = errors[field.name];
        const common = {
          id,
          "aria-label": field.name,
          "aria-invalid": error ? true : undefined,
          "aria-describedby": error ? `${id}-error` : undefined,
          value: texts[field.name] ?? "",
        };
        return (
          <div key={field.name} className="form-row">
            <label htmlFor={id}>
              {field.name} <span className="muted">({TYPE_LABEL[field.type] ?? field.type.toLowerCase()})</span>
              {field.hasDefault || field.optional ? null : <span className="error"> *</span>}
            </label>
            <div>
              {field.type === "BOOLEAN" ? (
                <select {...common} onChange={(event) => onChange(field.name, event.target.value)}>
                  {field.hasDefault || field.optional ? <option value="">(default)</option> : <option value="">choose</option>}
                  <option value="true">true</option>
                  <option value="false">false</option>
                </select>
              ) : field.type === "LIST" || field.type === "STRUCT" ? (
                <textarea {...common} rows={3} spellCheck={false} className="code" onChange={(event) => onChange(field.name, event.target.value)} />
              ) : (
                <input {...common} type="text" inputMode={field.type.startsWith("NUMBER") ? "decimal" : undefined} onChange={(event) => onChange(field.name, event.target.value)} />
              )}
              {field.description ? <div className="muted">{field.description}</div> : null}
              {error ? (
                <div id={`${id}-error`} role="alert" className="error">
                  {field.name}: {error}
                </div>
              ) : null}
            </div>
          </div>
        );
      })}
    </div>
  );
}

function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** The next fire times of a cron draft, from the scheduler's own cron module (N9).
 * ``current`` says whether ``query`` is of the text as typed now: for the 250 ms the
 * debounce waits, it is still the previous text's and says nothing about the new one. */
export function useCronPreview(draft: TriggerDraft) {
  const typedCron = draft.kind === "cron" ? draft.cron.trim() : "";
  const typedZone = draft.timeZone.trim();
  const cron = useDebounced(typedCron, 250);
  const zone = useDebounced(typedZone, 250);
  const query = useQuery<CronPreview, ApiError>({
    queryKey: ["cron-preview", cron, zone],
    enabled: cron !== "",
    retry: false,
    queryFn: () => api<CronPreview>(`${UI_API}/cron:preview`, {}, { cron, tz: zone === "UTC" ? undefined : zone, n: 5 }),
  });
  return { query, current: cron === typedCron && zone === typedZone };
}

const ZONES: string[] = (() => {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"];
  }
})();

function Err({ id, text }: { id: string; text: string | undefined }) {
  return text ? (
    <div id={id} role="alert" className="error">
      {text}
    </div>
  ) : null;
}

/** Cron (with a zone) or interval, the time window and the limits; a live preview of the
 * next 5 fire times, or the cron's parse error. ``invalid`` says whether it may be sent. */
export function TriggerFields({
  draft,
  onChange,
  onValidity,
}: {
  draft: TriggerDraft;
  onChange: (draft: TriggerDraft) => void;
  onValidity: (valid: boolean) => void;
}) {
  const { query: preview, current } = useCronPreview(draft);
  const errors = draftErrors(draft);
  const cronError = draft.kind === "cron" ? (errors.cron ?? (preview.error ? preview.error.message : undefined)) : undefined;
  // Not valid until the scheduler has checked the text as typed now: a Save clicked
  // while the previous text's preview stands would send an unchecked cron.
  const valid = Object.keys(errors).length === 0 && !(draft.kind === "cron" && (preview.isError || preview.isPending || !current));
  useEffect(() => onValidity(valid), [valid, onValidity]);
  const set = (changes: Partial<TriggerDraft>) => onChange({ ...draft, ...changes });
  const zone = draft.timeZone.trim() || "UTC";
  return (
    <fieldset className="form-grid">
      <legend>Trigger</legend>
      <div className="form-row">
        <label htmlFor="trigger-kind">Kind</label>
        <select id="trigger-kind" aria-label="Trigger kind" value={draft.kind} onChange={(event) => set({ kind: event.target.value as TriggerDraft["kind"] })}>
          <option value="cron">cron</option>
          <option value="interval">interval</option>
        </select>
      </div>
      {draft.kind === "cron" ? (
        <>
          <div className="form-row">
            <label htmlFor="trigger-cron">Cron</label>
            <div>
              <input
                id="trigger-cron"
                aria-label="Cron"
                className="code"
                value={draft.cron}
                aria-invalid={cronError ? true : undefined}
                onChange={(event) => set({ cron: event.target.value })}
              />
              <div className="muted">5 fields (Unix: min hour day month weekday) or 6 (Kubeflow: seconds first); @daily, @every 1h</div>
              <Err id="trigger-cron-error" text={cronError} />
            </div>
          </div>
          <div className="form-row">
            <label htmlFor="trigger-zone">Time zone</label>
            <div>
              <input id="trigger-zone" aria-label="Time zone" list="trigger-zones" value={draft.timeZone} onChange={(event) => set({ timeZone: event.target.value })} />
              <datalist id="trigger-zones">
                {ZONES.map((name) => (
                  <option key={name} value={name} />
                ))}
              </datalist>
            </div>
          </div>
          <div className="form-row">
            <span>Next fire times</span>
            <div>
              {!cronError && preview.data ? (
                <>
                  <div data-testid="cron-words">{cronInWords(draft.cron, zone === "UTC" ? null : zone)}</div>
                  {/* Until the new text is checked the times are the previous text's: dimmed. */}
                  <ol aria-label="Next fire times" className="preview" aria-busy={current ? undefined : true}>
                    {preview.data.times.map((time) => (
                      <li key={time}>
                        <time dateTime={time}>{new Date(time).toLocaleString(undefined, { timeZone: zone, dateStyle: "medium", timeStyle: "short" })}</time>{" "}
                        <span className="muted">({zone})</span>
                      </li>
                    ))}
                  </ol>
                </>
              ) : null}
            </div>
          </div>
        </>
      ) : (
        <div className="form-row">
          <label htmlFor="trigger-interval">Every (seconds)</label>
          <div>
            <input id="trigger-interval" aria-label="Interval seconds" value={draft.intervalSeconds} onChange={(event) => set({ intervalSeconds: event.target.value })} />
            {errors.intervalSeconds ? null : <div className="muted">{intervalInWords(Number(draft.intervalSeconds))}</div>}
            <Err id="trigger-interval-error" text={errors.intervalSeconds} />
          </div>
        </div>
      )}
      <div className="form-row">
        <label htmlFor="trigger-start">Start (local time)</label>
        <input id="trigger-start" type="datetime-local" value={draft.start} onChange={(event) => set({ start: event.target.value })} />
      </div>
      <div className="form-row">
        <label htmlFor="trigger-end">End (local time)</label>
        <div>
          <input id="trigger-end" type="datetime-local" value={draft.end} onChange={(event) => set({ end: event.target.value })} />
          <Err id="trigger-end-error" text={errors.end} />
        </div>
      </div>
      <div className="form-row">
        <label htmlFor="trigger-concurrency">Max concurrency</label>
        <div>
          <input id="trigger-concurrency" aria-label="Max concurrency" value={draft.maxConcurrency} onChange={(event) => set({ maxConcurrency: event.target.value })} />
          <Err id="trigger-concurrency-error" text={errors.maxConcurrency} />
        </div>
      </div>
      <div className="form-row">
        <label htmlFor="trigger-count">Max run count</label>
        <div>
          <input id="trigger-count" aria-label="Max run count" placeholder="no limit" value={draft.maxRunCount} onChange={(event) => set({ maxRunCount: event.target.value })} />
          <Err id="trigger-count-error" text={errors.maxRunCount} />
        </div>
      </div>
      <div className="form-row">
        <label htmlFor="trigger-catchup">No catch-up</label>
        <label>
          <input id="trigger-catchup" type="checkbox" checked={draft.noCatchup} onChange={(event) => set({ noCatchup: event.target.checked })} /> skip the slots
          missed while the server was down (start only the latest)
        </label>
      </div>
    </fieldset>
  );
}
