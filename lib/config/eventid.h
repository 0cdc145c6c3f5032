/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One journal MESSAGE_ID per event kind (ONBATT, SHUTDOWN, ...), so that
 * "journalctl MESSAGE_ID=..." finds every event of a kind, as a catalog
 * entry would. upsagent(8) lists them.
 */
#pragma once

#include "config.h"

/* 32 lowercase hex digits, or NULL for a number out of range. */
const char *event_message_id(unsigned event);
