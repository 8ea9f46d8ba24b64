/** How the container starts and stops facet-style `Service` instances it creates. */
export interface ServiceStarter {
  isService(value: unknown): boolean;
  start(value: unknown): Promise<unknown>;
  stop(value: unknown): Promise<void>;
  /** Call `onCrash` if the started service crashes later. */
  watch(value: unknown, onCrash: (error: unknown) => void): void;
}

let installed: ServiceStarter | undefined;

/** Installed by the services module (services/in-container.ts), so that containers know facet-style services. */
export function setServiceStarter(starter: ServiceStarter): void {
  installed = starter;
}

/** The starter installed now (a container takes it when it is made). */
export function serviceStarter(): ServiceStarter | undefined {
  return installed;
}
