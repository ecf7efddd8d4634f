import fs from 'node:fs';
import path from 'node:path';
import { localModelPaths } from '../embed/model-location.js';
import { reachableByOthers } from './service-user.js';

/**
 * The model directory the services are given. Services that run as another user (the service
 * user, when DistRAG is started as root) cannot reach a model under root's home directory: then
 * the installed model is copied into the stack's data directory (once; a copy whose manifest
 * matches is reused) and the services use that copy.
 */
export function modelDirForServices(installedRoot: string, stackHome: string, servicesRunAsOtherUser: boolean): string {
  const installed = localModelPaths(installedRoot);
  if (!servicesRunAsOtherUser || !fs.existsSync(installed.manifest) || reachableByOthers(installed.manifest)) return installedRoot;
  const copyRoot = path.join(stackHome, 'models');
  const copy = localModelPaths(copyRoot);
  const sameManifest = fs.existsSync(copy.manifest) && fs.readFileSync(copy.manifest, 'utf8') === fs.readFileSync(installed.manifest, 'utf8');
  if (!sameManifest) {
    fs.rmSync(copy.modelDir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(copy.modelDir), { recursive: true, mode: 0o755 });
    fs.cpSync(installed.modelDir, copy.modelDir, { recursive: true });
    for (const dir of [copyRoot, path.dirname(copy.modelDir), copy.modelDir, path.join(copy.modelDir, 'onnx')]) fs.chmodSync(dir, 0o755);
  }
  return copyRoot;
}
