// Placeholder: the lead implements `switchboard import-scripts` here.
export async function runImportScripts(_args: string[]): Promise<number> {
  console.error('switchboard import-scripts: not implemented yet');
  return 1;
}
