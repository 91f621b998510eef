/**
 * The system jobs' types (`GET /info`, `/version`, `/system/df`, `/events`),
 * merged into JobMap. Outputs are Docker Engine API v1.41 shapes.
 */
import type { Filters } from '../api/query';

/** `GET /version` (swagger SystemVersion). */
export interface SystemVersion {
  Platform: { Name: string };
  Components: Array<{ Name: string; Version: string; Details?: Record<string, string> }>;
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  BuildTime: string;
  Experimental?: boolean;
}

/** `GET /info` (swagger SystemInfo); berth adds `BerthPlugins`, the loaded plugins and their status. */
export type SystemInfo = Record<string, unknown> & {
  ID: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Driver: string;
  DriverStatus: Array<[string, string]>;
  Plugins: { Volume: string[]; Network: string[]; Authorization: string[] | null; Log: string[] };
  CgroupDriver: string;
  CgroupVersion: string;
  SecurityOptions: string[];
  ServerVersion: string;
  Warnings: string[];
};

/** `GET /system/df` (swagger SystemDataUsageResponse). */
export interface SystemDataUsage {
  LayersSize: number;
  Images: unknown[];
  Containers: unknown[];
  Volumes: unknown[];
  BuildCache: unknown[];
}

/** Input of `system.events`: Docker's query, untouched (`since`/`until` as given). */
export interface SystemEventsInput {
  since?: string;
  until?: string;
  filters?: Filters;
}

declare module '../engine/job-map' {
  interface JobMap {
    'system.info': { input: Record<string, never>; output: SystemInfo };
    'system.version': { input: Record<string, never>; output: SystemVersion };
    'system.df': { input: { type?: string[] }; output: SystemDataUsage };
    /** Streams events as JSON lines on stdout until `until` passes or the caller goes away. */
    'system.events': { input: SystemEventsInput; output: void };
  }
}
