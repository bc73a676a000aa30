import { initI18n } from "@/i18n";

/** English texts for component tests. */
export const i18n = initI18n("en");
