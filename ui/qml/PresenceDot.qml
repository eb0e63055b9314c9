import QtQuick

// A round presence marker: filled when online, hollow when not. Decoration only: every place that shows
// one also says the presence in words.
Rectangle {
    id: dot

    property bool online: false

    implicitWidth: 12
    implicitHeight: 12
    radius: width / 2
    color: online ? "#2e8b47" : "transparent"
    border.width: 2
    border.color: online ? "#2e8b47" : "#7a7a7a"
    Accessible.ignored: true
}
