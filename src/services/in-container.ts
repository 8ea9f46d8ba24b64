import { setServiceStarter } from "../engine/starter.js";
import { Service } from "./service.js";
import { startService } from "./start-service.js";
import { stopService } from "./stop-service.js";

// A facet-style Service the container builds is started before anyone receives it, stopped when it is
// disposed (in dependency order, like any instance), and a crash of its background tasks is a crash of
// the instance (SEMANTICS 5.11).
setServiceStarter({
  isService: (value) => value instanceof Service,
  start: (value) => startService(value as Service),
  stop: (value) => stopService(value as Service),
  watch: (value, onCrash) => void (value as Service).wait().catch(onCrash),
});
