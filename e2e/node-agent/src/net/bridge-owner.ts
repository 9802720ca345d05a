// One agent per bridge on a machine: the bridge (and the namespaces named after it) belong to
// the process recorded in /run/gantry-node-agent/<bridge>.pid. A second agent on the same bridge
// would sweep the first one's Pod namespaces as "left over"; it is refused instead.
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';

const OWNER_DIR = '/run/gantry-node-agent';

function ownerFile(bridge: string): string {
  return `${OWNER_DIR}/${bridge}.pid`;
}

async function alive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie or a recycled pid that is no agent does not count.
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/\) [ZX] /.test(stat);
}

/** Records this process as the bridge's owner; throws when another live process owns it. */
export async function claimBridge(bridge: string): Promise<void> {
  await mkdir(OWNER_DIR, { recursive: true });
  const recorded = Number((await readFile(ownerFile(bridge), 'utf8').catch(() => '')).trim());
  if (Number.isInteger(recorded) && recorded > 0 && recorded !== process.pid && (await alive(recorded))) {
    throw new Error(`bridge ${bridge} belongs to another node agent (pid ${recorded}); pick another --bridge and ranges`);
  }
  await writeFile(ownerFile(bridge), `${process.pid}\n`);
}

export async function releaseBridge(bridge: string): Promise<void> {
  const recorded = Number((await readFile(ownerFile(bridge), 'utf8').catch(() => '')).trim());
  if (recorded === process.pid) await forget(bridge);
}

/** For `cleanup`, once no live agent owns the bridge: the record of a killed one goes too. */
export async function forgetDeadOwner(bridge: string): Promise<void> {
  if ((await bridgeOwnedByLiveAgent(bridge)) === undefined) await forget(bridge);
}

async function forget(bridge: string): Promise<void> {
  await rm(ownerFile(bridge), { force: true });
  await rmdir(OWNER_DIR).catch(() => undefined); // only when no other agent's record is left
}

/** For `cleanup`: whether a live agent still owns the bridge. */
export async function bridgeOwnedByLiveAgent(bridge: string): Promise<number | undefined> {
  const recorded = Number((await readFile(ownerFile(bridge), 'utf8').catch(() => '')).trim());
  return Number.isInteger(recorded) && recorded > 0 && recorded !== process.pid && (await alive(recorded)) ? recorded : undefined;
}
