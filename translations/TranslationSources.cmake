# What lupdate reads, shared by the update_translations target (app/gui) and the translations_current
# test (tests/ui), so that both see the same strings.
set(SOTTO_TS_FILES ${PROJECT_SOURCE_DIR}/translations/sotto_de.ts)

file(GLOB_RECURSE SOTTO_TRANSLATION_SOURCES CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/ui/*.cpp ${PROJECT_SOURCE_DIR}/ui/*.h ${PROJECT_SOURCE_DIR}/ui/*.qml
    ${PROJECT_SOURCE_DIR}/app/*.cpp ${PROJECT_SOURCE_DIR}/app/*.h
    ${PROJECT_SOURCE_DIR}/core/*.cpp ${PROJECT_SOURCE_DIR}/core/*.h)
list(SORT SOTTO_TRANSLATION_SOURCES)

set(SOTTO_TRANSLATION_INCLUDE_DIRS ${PROJECT_SOURCE_DIR}/core ${PROJECT_SOURCE_DIR}/ui)
# Relative locations keep the committed file the same on every machine; strings that are gone are dropped.
set(SOTTO_LUPDATE_OPTIONS -locations relative -no-obsolete)
