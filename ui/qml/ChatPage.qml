import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto

// One conversation: the history, the delivery state of what we sent, and the composer.
Page {
    id: page

    required property AppContext context
    required property string peer
    signal backRequested()

    property string sendError: ""

    objectName: "chatPage"
    title: conversation.peerName

    function sendDraft() {
        const text = composer.text
        if (text.trim().length === 0)
            return
        if (conversation.send(text)) {
            composer.clear()
            page.sendError = ""
        } else {
            page.sendError = qsTr("The message could not be saved. Your text is still in the box.")
        }
    }

    // Enter sends; Shift+Enter starts a new line.
    function handleEnter(event) {
        if (event.modifiers & Qt.ShiftModifier) {
            composer.insert(composer.cursorPosition, "\n")
        } else {
            page.sendDraft()
        }
        event.accepted = true
    }

    ConversationModel {
        id: conversation
        context: page.context
        peer: page.peer
        active: page.StackView.status === StackView.Active
    }

    StackView.onActivated: composer.forceActiveFocus()

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            anchors.rightMargin: 12
            spacing: 10

            ToolButton {
                objectName: "backButton"
                text: qsTr("‹ Contacts")
                Accessible.name: qsTr("Back to the contacts")
                onClicked: page.backRequested()
            }
            PresenceDot {
                online: conversation.peerOnline
            }
            ColumnLayout {
                spacing: 0
                Layout.fillWidth: true

                Label {
                    objectName: "peerName"
                    text: conversation.peerName
                    font.bold: true
                    font.pixelSize: 16
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
                Label {
                    objectName: "peerPresence"
                    text: conversation.peerName !== page.peer ? page.peer + " · " + conversation.peerPresenceText
                                                              : conversation.peerPresenceText
                    font.pixelSize: 12
                    opacity: 0.75
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        ListView {
            id: messageList
            objectName: "messageList"
            model: conversation
            clip: true
            spacing: 8
            topMargin: 12
            bottomMargin: 12
            Layout.fillWidth: true
            Layout.fillHeight: true

            ScrollBar.vertical: ScrollBar {}

            onCountChanged: Qt.callLater(messageList.positionViewAtEnd)
            Component.onCompleted: positionViewAtEnd()

            delegate: Item {
                id: message

                required property string body
                required property bool outgoing
                required property string deliveryState
                required property string stateText
                required property string timeText

                readonly property real maxTextWidth: Math.max(160, width * 0.7) - 24

                width: ListView.view.width
                height: bubble.height
                Accessible.role: Accessible.StaticText
                Accessible.name: message.outgoing
                                 ? qsTr("You, %1, %2: %3").arg(message.timeText).arg(message.stateText).arg(message.body)
                                 : qsTr("%1, %2: %3").arg(conversation.peerName).arg(message.timeText).arg(message.body)

                Rectangle {
                    id: bubble

                    x: message.outgoing ? message.width - width - 16 : 16
                    width: Math.max(bodyText.width, metaText.implicitWidth) + 24
                    height: bodyText.height + metaText.implicitHeight + 18
                    radius: 10
                    color: message.outgoing ? "#d9e7ff" : (message.deliveryState === "undecryptable" ? "#fdecea" : "#efefef")
                    border.color: message.outgoing ? "#b3cbf0" : "#d8d8d8"

                    Text {
                        id: bodyText
                        objectName: "messageBody"
                        x: 12
                        y: 8
                        width: Math.min(implicitWidth, message.maxTextWidth)
                        text: message.deliveryState === "undecryptable"
                              ? qsTr("⚠ This message could not be decrypted: %1").arg(message.body)
                              : message.body
                        // Never interpret what a contact sent as markup.
                        textFormat: Text.PlainText
                        wrapMode: Text.Wrap
                        color: "#1a1a1a"
                        font.pixelSize: 14
                    }
                    Text {
                        id: metaText
                        objectName: "messageMeta"
                        anchors.right: parent.right
                        anchors.rightMargin: 12
                        y: bodyText.y + bodyText.height + 2
                        text: message.outgoing ? message.timeText + " · " + message.stateText : message.timeText
                        color: message.deliveryState === "failed" ? "#b00020" : "#5a5a5a"
                        font.pixelSize: 11
                    }
                }
            }

            Label {
                anchors.centerIn: parent
                width: parent.width - 48
                visible: messageList.count === 0
                text: qsTr("No messages yet. Say hello!")
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.Wrap
                opacity: 0.7
            }
        }

        Label {
            objectName: "sendError"
            text: page.sendError
            visible: text.length > 0
            color: "#b00020"
            wrapMode: Text.Wrap
            leftPadding: 12
            rightPadding: 12
            Accessible.role: Accessible.AlertMessage
            Layout.fillWidth: true
        }

        Pane {
            padding: 8
            Layout.fillWidth: true

            RowLayout {
                anchors.fill: parent
                spacing: 8

                ScrollView {
                    Layout.fillWidth: true
                    Layout.preferredHeight: Math.min(composer.implicitHeight, 140)
                    background: Rectangle {
                        color: page.palette.base
                        border.color: composer.activeFocus ? page.palette.highlight : page.palette.mid
                        radius: 3
                    }

                    TextArea {
                        id: composer
                        objectName: "composer"
                        placeholderText: qsTr("Write a message (Enter sends, Shift+Enter adds a line)")
                        wrapMode: TextEdit.Wrap
                        textFormat: TextEdit.PlainText
                        Accessible.name: qsTr("Message to %1").arg(conversation.peerName)
                        Keys.onReturnPressed: (event) => page.handleEnter(event)
                        Keys.onEnterPressed: (event) => page.handleEnter(event)
                    }
                }
                Button {
                    objectName: "sendButton"
                    text: qsTr("Send")
                    enabled: conversation.canSend && composer.text.trim().length > 0
                    Layout.alignment: Qt.AlignBottom
                    onClicked: page.sendDraft()
                }
            }
        }
    }
}
