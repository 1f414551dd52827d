/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The settings table as the CLI and the documentation see it: options and
 * help. Apart from settings.c so that memstop.so, which never links this
 * object, carries neither the text nor its relocations.
 */
#include "gate/settings.h"

const struct ms_setting_doc ms_setting_docs[MS_SETTING_COUNT] = {
#define ROW(id, variable, field, type, ...) [MS_SETTING_##id] = { .env = variable, __VA_ARGS__ },
        MS_SETTINGS(ROW)
#undef ROW
};
