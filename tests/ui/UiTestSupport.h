#pragma once

// Helpers shared by the UI tests: a recorder for warnings and ways to find and drive items.
#include <QMutex>
#include <QMutexLocker>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTest>
#include <QtQuickTest/quicktest.h>

#include <algorithm>
#include <utility>

namespace UiTestSupport {

inline const QUrl mainUrl{QStringLiteral("qrc:/qt/qml/Sotto/Main.qml")};

// Records every warning (QML or otherwise) while a test runs; the previous handler still prints them.
class WarningRecorder
{
public:
    static void install()
    {
        s_previous = qInstallMessageHandler(&WarningRecorder::handle);
    }

    static QStringList take()
    {
        QMutexLocker lock(&s_mutex);
        return std::exchange(s_warnings, {});
    }

private:
    static void handle(QtMsgType type, const QMessageLogContext &context, const QString &message)
    {
        if (type == QtWarningMsg || type == QtCriticalMsg || type == QtFatalMsg) {
            QMutexLocker lock(&s_mutex);
            s_warnings << QStringLiteral("[%1] %2").arg(QString::fromLatin1(context.category), message);
        }
        if (s_previous)
            s_previous(type, context, message);
    }

    static inline QtMessageHandler s_previous = nullptr;
    static inline QMutex s_mutex;
    static inline QStringList s_warnings;
};

#define VERIFY_NO_WARNINGS(when)                                                                                \
    do {                                                                                                       \
        const QStringList warnings = UiTestSupport::WarningRecorder::take();                                                  \
        if (!warnings.isEmpty())                                                                               \
            QFAIL(qPrintable(QStringLiteral("warnings %1:\n  ").arg(QStringLiteral(when))                      \
                             + warnings.join(QStringLiteral("\n  "))));                                        \
    } while (false)

inline QList<QQuickItem *> findItems(QQuickItem *root, const QString &objectName)
{
    QList<QQuickItem *> found;
    if (!root)
        return found;
    const QList<QQuickItem *> children = root->childItems();
    for (QQuickItem *child : children) {
        if (child->objectName() == objectName)
            found << child;
        found << findItems(child, objectName);
    }
    return found;
}

inline QQuickItem *findItem(QQuickItem *root, const QString &objectName)
{
    const QList<QQuickItem *> items = findItems(root, objectName);
    return items.isEmpty() ? nullptr : items.first();
}

// The delegates a view shows right now, in their visual order from the top.
inline QList<QQuickItem *> delegates(QQuickItem *view)
{
    auto *content = view->property("contentItem").value<QQuickItem *>();
    QList<QQuickItem *> result;
    if (!content)
        return result;
    const QList<QQuickItem *> children = content->childItems();
    for (QQuickItem *child : children) {
        if (child->isVisible() && child->height() > 0)
            result << child;
    }
    std::sort(result.begin(), result.end(), [](QQuickItem *a, QQuickItem *b) { return a->y() < b->y(); });
    return result;
}

// QTest::keyClicks exists for widgets only.
inline void typeText(QWindow *window, const QString &text)
{
    for (const QChar c : text)
        QTest::keyClick(window, c.toLatin1());
}

inline QPoint centreOf(QQuickItem *item)
{
    return item->mapToScene(QPointF(item->width() / 2, item->height() / 2)).toPoint();
}

// Clicks the middle of @p item once the window's layouts have settled (a new row moves what follows it).
[[nodiscard]] inline bool clickItem(QQuickWindow *window, QQuickItem *item)
{
    if (!item || !QQuickTest::qWaitForPolish(window))
        return false;
    QTest::mouseClick(window, Qt::LeftButton, {}, centreOf(item));
    return true;
}

// The page the window's StackView ("stack") shows now.
inline QQuickItem *currentPage(QQuickWindow *window)
{
    QQuickItem *stack = window ? findItem(window->contentItem(), QStringLiteral("stack")) : nullptr;
    return stack ? stack->property("currentItem").value<QQuickItem *>() : nullptr;
}

// Waits until the page named @p objectName is shown and the StackView's transition has ended.
[[nodiscard]] inline bool waitForPage(QQuickWindow *window, const QString &objectName, int timeoutMs = 5000)
{
    return QTest::qWaitFor(
        [&] {
            QQuickItem *page = currentPage(window);
            QQuickItem *stack = findItem(window->contentItem(), QStringLiteral("stack"));
            return page && page->objectName() == objectName && !stack->property("busy").toBool();
        },
        timeoutMs);
}

} // namespace UiTestSupport
