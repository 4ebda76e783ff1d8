import { mkdir, writeFile, readFile, stat, chmod } from 'node:fs/promises';
import path from 'node:path';

/**
 * The data dir `stella up` owns (default `./.stella`). Directories are 0700 and files 0600: it
 * holds the platform CA key, service keys and the admin credential.
 */
export interface DataDirLayout {
  root: string;
  pki: string;
  keys: string;
  secrets: string;
  admin: string;
  clients: string;
  db: string;
  objects: string;
  logs: string;
  state: string;
}

export function dataDirLayout(root: string): DataDirLayout {
  const abs = path.resolve(root);
  return {
    root: abs,
    pki: path.join(abs, 'pki'),
    keys: path.join(abs, 'keys'),
    secrets: path.join(abs, 'secrets'),
    admin: path.join(abs, 'admin'),
    clients: path.join(abs, 'clients'),
    db: path.join(abs, 'db'),
    objects: path.join(abs, 'objects'),
    logs: path.join(abs, 'logs'),
    state: path.join(abs, 'state'),
  };
}

export async function ensureDirs(layout: DataDirLayout): Promise<void> {
  for (const dir of Object.values(layout)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Writes a private file (0600) atomically enough for first run: refuses to overwrite. */
export async function writePrivateFile(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, data, { mode: 0o600, flag: 'wx' });
}

export async function readText(file: string): Promise<string> {
  return readFile(file, 'utf8');
}
