import { DEFAULT_MAX_QUEUED, SGLANG_QUANTIZATIONS } from '../../../shared/catalog-constants.js';
import { FormField } from './form-field.js';
import type { PlacedIssues } from './field-issues.js';
import { isFieldShown, type DraftField, type LocalIssues, type ModelDraft, type ModelSource, type SwitchMode } from './model-draft.js';

const SOURCES: { value: ModelSource; label: string; fieldLabel: string; placeholder: string }[] = [
  { value: 'modelPath', label: 'Model folder', fieldLabel: 'Model path (on the engine host)', placeholder: '/models/Mistral-Large-Instruct-2411-AWQ' },
  { value: 'script', label: 'Start script', fieldLabel: 'Script path (on the engine host)', placeholder: '/opt/sglang/start_sglang_katdev.sh' },
  { value: 'upstream', label: 'Served elsewhere', fieldLabel: 'Upstream URL', placeholder: 'http://127.0.0.1:30010' },
];

type TextField = Exclude<DraftField, 'torchCompile' | 'quantization' | 'pinned' | 'switchMode'>;

const SWITCH_MODES: { value: SwitchMode; label: string }[] = [
  { value: 'cold', label: 'Cold: stop when another model needs the GPUs' },
  { value: 'warm', label: 'Warm: sleep, comes back in seconds' },
];

const TEXT_FIELDS: { field: TextField; label: string; hint?: string; placeholder?: string; multiline?: boolean; numeric?: boolean }[] = [
  { field: 'id', label: 'Id (the model name clients send)', placeholder: 'mistral-large-2411-awq' },
  { field: 'label', label: 'Label', placeholder: 'Mistral Large 2411 (AWQ)' },
  { field: 'aliases', label: 'Aliases', hint: 'separated by commas', placeholder: 'mistral' },
  { field: 'tp', label: 'Tensor parallel (tp)', numeric: true },
  { field: 'gpus', label: 'GPUs', hint: 'indexes → CUDA_VISIBLE_DEVICES', placeholder: '1, 2, 3, 4' },
  { field: 'contextLength', label: 'Context length', numeric: true, placeholder: '24576' },
  { field: 'memFractionStatic', label: 'Memory fraction (static)', numeric: true, placeholder: '0.85' },
  { field: 'powerLimitW', label: 'Power limit (W)', hint: '300 for all its GPUs, or 1:300, 2:280', placeholder: '300' },
  { field: 'idleUnloadS', label: 'Idle unload (s)', hint: 'empty: the catalog default; 0: never', numeric: true, placeholder: 'catalog default' },
  { field: 'maxConcurrent', label: 'Requests at once', hint: 'empty: no limit; more wait in a queue, then get 429', numeric: true, placeholder: 'no limit' },
  { field: 'maxQueued', label: 'Queue length', hint: 'requests that may wait for a free place', numeric: true, placeholder: String(DEFAULT_MAX_QUEUED) },
  { field: 'port', label: 'Port', hint: 'empty: assigned; models on the same GPUs share one', numeric: true, placeholder: 'assigned' },
  { field: 'extraArgs', label: 'Extra SGLang arguments', hint: 'as on a command line; quotes group words', multiline: true, placeholder: '--chunked-prefill-size 4096' },
  { field: 'env', label: 'Environment', hint: 'one KEY=value per line', multiline: true, placeholder: 'NCCL_P2P_DISABLE=1' },
];

/** The text fields by name (the form places them in groups around the other controls). */
const TEXT = Object.fromEntries(TEXT_FIELDS.map((spec) => [spec.field, spec])) as Record<TextField, (typeof TEXT_FIELDS)[number]>;

/** The Add/Edit model fields, each with its issues. */
export function ModelFormFields({
  draft,
  localIssues,
  placed,
  onChange,
}: {
  draft: ModelDraft;
  localIssues: LocalIssues;
  placed: PlacedIssues;
  onChange: <K extends keyof ModelDraft>(field: K, value: ModelDraft[K]) => void;
}) {
  const source = SOURCES.find((s) => s.value === draft.source)!;
  const field = (name: DraftField) => ({ localIssue: localIssues[name], issues: placed.byField[name] });
  const text = (spec: (typeof TEXT_FIELDS)[number]) =>
    isFieldShown(draft.source, spec.field) && (
      <FormField key={spec.field} name={spec.field} label={spec.label} {...(spec.hint ? { hint: spec.hint } : {})} {...field(spec.field)}>
        {(control) =>
          spec.multiline ? (
            <textarea {...control} rows={2} spellCheck={false} placeholder={spec.placeholder} value={draft[spec.field]} onChange={(e) => onChange(spec.field, e.target.value)} />
          ) : (
            <input
              {...control}
              type="text"
              inputMode={spec.numeric ? 'decimal' : undefined}
              spellCheck={false}
              autoComplete="off"
              placeholder={spec.placeholder}
              value={draft[spec.field]}
              onChange={(e) => onChange(spec.field, e.target.value)}
            />
          )
        }
      </FormField>
    );
  return (
    <div className="form-grid">
      {(['id', 'label', 'aliases'] as const).map((f) => text(TEXT[f]))}
      <fieldset className="form-field source-field">
        <legend>Source</legend>
        <div className="segmented" role="radiogroup" aria-label="Source">
          {SOURCES.map((s) => (
            <label key={s.value}>
              <input type="radio" name="model-source" value={s.value} checked={draft.source === s.value} onChange={() => onChange('source', s.value)} />
              {s.label}
            </label>
          ))}
        </div>
      </fieldset>
      <FormField name="location" label={source.fieldLabel} {...field('location')}>
        {(control) => (
          <input {...control} type="text" spellCheck={false} autoComplete="off" placeholder={source.placeholder} value={draft.location} onChange={(e) => onChange('location', e.target.value)} />
        )}
      </FormField>
      {(['tp', 'gpus', 'contextLength', 'memFractionStatic'] as const).map((f) => text(TEXT[f]))}
      {isFieldShown(draft.source, 'quantization') && (
        <FormField name="quantization" label="Quantization" {...field('quantization')}>
          {(control) => (
            <select {...control} value={draft.quantization} onChange={(e) => onChange('quantization', e.target.value)}>
              <option value="">(from the model)</option>
              {SGLANG_QUANTIZATIONS.map((q) => (
                <option key={q} value={q}>
                  {q}
                </option>
              ))}
            </select>
          )}
        </FormField>
      )}
      {isFieldShown(draft.source, 'torchCompile') && (
        <FormField name="torchCompile" label="torch.compile" {...field('torchCompile')}>
          {(control) => <input {...control} type="checkbox" checked={draft.torchCompile} onChange={(e) => onChange('torchCompile', e.target.checked)} />}
        </FormField>
      )}
      {isFieldShown(draft.source, 'pinned') && (
        <FormField name="pinned" label="Pinned" hint="a request for another model never evicts it" {...field('pinned')}>
          {(control) => <input {...control} type="checkbox" checked={draft.pinned} onChange={(e) => onChange('pinned', e.target.checked)} />}
        </FormField>
      )}
      {isFieldShown(draft.source, 'switchMode') && (
        <FormField name="switchMode" label="Switch mode" hint="warm: sleeps with its weights in host RAM, on a port of its own" {...field('switchMode')}>
          {(control) => (
            <select {...control} value={draft.switchMode} onChange={(e) => onChange('switchMode', e.target.value as SwitchMode)}>
              {SWITCH_MODES.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.label}
                </option>
              ))}
            </select>
          )}
        </FormField>
      )}
      {(['idleUnloadS', 'maxConcurrent', 'maxQueued', 'port', 'powerLimitW', 'extraArgs', 'env'] as const).map((f) => text(TEXT[f]))}
    </div>
  );
}
