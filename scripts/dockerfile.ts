// The root Dockerfile read as stages, for the checks of the images (infra/ and helm/ tests). It has
// one target per image; an image runs with the instructions of its stage and of the stages it
// starts FROM (a stage that starts from an earlier stage inherits what that one set).

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DOCKERFILE_PATH = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'Dockerfile');

export interface DockerStage {
  readonly name: string;
  /** The image or the earlier stage it starts from. */
  readonly from: string;
  /** Its instructions, FROM first, continuation lines joined, comments dropped. */
  readonly lines: readonly string[];
}

export function dockerStages(text = readFileSync(DOCKERFILE_PATH, 'utf8')): DockerStage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Array<{ name: string; from: string; lines: string[] }> = [];
  for (const line of lines) {
    const from = /^FROM (\S+)(?: AS (\S+))?$/.exec(line);
    if (from !== null) stages.push({ name: from[2] ?? '', from: from[1] as string, lines: [line] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

/** The instructions an image target runs with: the stages it starts from, base first, then its own. */
export function imageInstructions(target: string, stages: readonly DockerStage[] = dockerStages()): string[] {
  const stage = stages.find((candidate) => candidate.name === target);
  if (stage === undefined) throw new Error(`the Dockerfile has no stage ${target}`);
  const base = stages.some((candidate) => candidate.name === stage.from) ? imageInstructions(stage.from, stages) : [];
  return [...base, ...stage.lines];
}

/** An image's CMD (as an exec array) and the ports it EXPOSEs. */
export function imageCmd(target: string): { cmd: string[]; exposed: number[] } {
  const lines = imageInstructions(target);
  const cmd = lines.filter((line) => line.startsWith('CMD [')).at(-1);
  const exposed = lines.filter((line) => line.startsWith('EXPOSE ')).flatMap((line) => line.slice(7).trim().split(/\s+/).map(Number));
  return { cmd: cmd === undefined ? [] : (JSON.parse(cmd.slice(4)) as string[]), exposed };
}
