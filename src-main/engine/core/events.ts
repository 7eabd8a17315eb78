import { EventEmitter } from 'node:events';
import type { EngineEvents } from '../../../src-shared/events';

export type { EngineEvents };

export class EngineEventBus extends EventEmitter<EngineEvents> {}
