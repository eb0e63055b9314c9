#pragma once

#include <QLoggingCategory>

// One category per area. Nothing secret (keys, passwords, message text) is ever formatted into a line.
Q_DECLARE_LOGGING_CATEGORY(lcXmpp)
Q_DECLARE_LOGGING_CATEGORY(lcSession)
Q_DECLARE_LOGGING_CATEGORY(lcEsession)
Q_DECLARE_LOGGING_CATEGORY(lcStorage)
Q_DECLARE_LOGGING_CATEGORY(lcUi)
