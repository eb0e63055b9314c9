import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto

// The connection state, shown above every page: connecting, online, or offline and why.
ToolBar {
    id: banner

    required property AppContext context
    readonly property int connection: context.connectionState
    readonly property bool offline: connection === AppContext.Offline

    objectName: "connectionBanner"
    Accessible.role: Accessible.StatusBar
    Accessible.name: statusLabel.text

    background: Rectangle {
        implicitHeight: 40
        color: !banner.context.sessionOpen ? "#ececec"
             : banner.connection === AppContext.Online ? "#e1f2e5"
             : banner.connection === AppContext.Connecting ? "#fdf3d8" : "#f4e3e3"

        Rectangle {
            anchors.left: parent.left
            anchors.right: parent.right
            anchors.bottom: parent.bottom
            height: 1
            color: "#c6c6c6"
        }
    }

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 12
        anchors.rightMargin: 8
        spacing: 8

        BusyIndicator {
            visible: banner.connection === AppContext.Connecting
            running: visible
            Layout.preferredWidth: 24
            Layout.preferredHeight: 24
            Accessible.ignored: true
        }
        PresenceDot {
            visible: banner.connection !== AppContext.Connecting
            online: banner.connection === AppContext.Online
        }
        Label {
            id: statusLabel
            objectName: "statusText"
            text: banner.context.statusText
            color: "#1d1d1d"
            elide: Text.ElideRight
            Layout.fillWidth: true
        }
        Button {
            objectName: "reconnectButton"
            text: qsTr("Reconnect")
            visible: banner.context.sessionOpen && banner.offline && banner.context.canReconnect
            onClicked: banner.context.reconnect()
        }
        Button {
            objectName: "bannerLoginButton"
            text: qsTr("Log in…")
            visible: banner.context.sessionOpen && banner.offline && !banner.context.canReconnect
            onClicked: banner.context.logout()
        }
    }
}
