#include "Logging.h"

Q_LOGGING_CATEGORY(lcXmpp, "sotto.xmpp", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSession, "sotto.session", QtInfoMsg)
Q_LOGGING_CATEGORY(lcEsession, "sotto.esession", QtInfoMsg)
Q_LOGGING_CATEGORY(lcStorage, "sotto.storage", QtInfoMsg)
Q_LOGGING_CATEGORY(lcUi, "sotto.ui", QtInfoMsg)
