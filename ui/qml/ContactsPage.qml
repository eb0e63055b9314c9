import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto

// The contacts of the open account, with presence, unread counts and pending subscription requests.
Page {
    id: page

    required property AppContext context
    signal chatRequested(string jid)
    signal settingsRequested()

    objectName: "contactsPage"
    title: qsTr("Contacts")

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 12
            spacing: 8

            Label {
                text: qsTr("Contacts")
                font.pixelSize: 18
                font.bold: true
            }
            Label {
                text: page.context.jid
                opacity: 0.7
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            ToolButton {
                objectName: "addContactButton"
                text: qsTr("Add contact")
                onClicked: addDialog.open()
            }
            ToolButton {
                objectName: "settingsButton"
                text: qsTr("Encryption…")
                Accessible.name: qsTr("Encryption settings")
                onClicked: page.settingsRequested()
            }
            ToolButton {
                objectName: "logoutButton"
                text: qsTr("Log out")
                onClicked: page.context.logout()
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Repeater {
            model: page.context.pendingRequests

            delegate: Pane {
                id: request

                required property string modelData

                Layout.fillWidth: true
                background: Rectangle {
                    color: "#eaf1fb"
                }

                RowLayout {
                    anchors.fill: parent
                    spacing: 8

                    Label {
                        text: qsTr("%1 would like to add you as a contact.").arg(request.modelData)
                        wrapMode: Text.Wrap
                        Layout.fillWidth: true
                    }
                    Button {
                        objectName: "acceptRequest"
                        text: qsTr("Accept")
                        Accessible.name: qsTr("Accept %1").arg(request.modelData)
                        onClicked: page.context.approve(request.modelData)
                    }
                    Button {
                        text: qsTr("Decline")
                        Accessible.name: qsTr("Decline %1").arg(request.modelData)
                        onClicked: page.context.refuse(request.modelData)
                    }
                }
            }
        }

        // Someone who is not a contact asks for an encrypted session: nothing is answered until the user decides,
        // since any answer tells them you are online.
        Repeater {
            model: page.context.encryptionRequests

            delegate: Pane {
                id: encryptionRequest
                objectName: "encryptionRequest"

                required property string modelData

                Layout.fillWidth: true
                background: Rectangle {
                    color: "#eaf1fb"
                }

                RowLayout {
                    anchors.fill: parent
                    spacing: 8

                    Label {
                        text: qsTr("%1 is not in your contacts and asks for an encrypted session. Answering, even with no, tells them you are online.").arg(encryptionRequest.modelData)
                        wrapMode: Text.Wrap
                        Layout.fillWidth: true
                    }
                    Button {
                        objectName: "acceptEncryptionRequest"
                        text: qsTr("Accept")
                        Accessible.name: qsTr("Accept the encrypted session with %1").arg(encryptionRequest.modelData)
                        onClicked: page.context.acceptEncryptionRequest(encryptionRequest.modelData)
                    }
                    Button {
                        objectName: "declineEncryptionRequest"
                        text: qsTr("Decline")
                        Accessible.name: qsTr("Decline the encrypted session with %1").arg(encryptionRequest.modelData)
                        onClicked: page.context.declineEncryptionRequest(encryptionRequest.modelData)
                    }
                }
            }
        }

        ListView {
            id: contactList
            objectName: "contactList"
            model: page.context.contacts
            clip: true
            Layout.fillWidth: true
            Layout.fillHeight: true

            ScrollBar.vertical: ScrollBar {}

            delegate: ItemDelegate {
                id: contact

                required property string jid
                required property string name
                required property bool online
                required property string presenceText
                required property int unread

                width: ListView.view.width
                Accessible.name: qsTr("%1, %2, unread messages: %n", "", contact.unread)
                                 .arg(contact.name).arg(contact.presenceText)
                onClicked: page.chatRequested(contact.jid)

                contentItem: RowLayout {
                    spacing: 12

                    PresenceDot {
                        online: contact.online
                    }
                    ColumnLayout {
                        spacing: 2
                        Layout.fillWidth: true

                        Label {
                            text: contact.name
                            font.bold: contact.unread > 0
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                        }
                        Label {
                            text: contact.name !== contact.jid ? contact.jid + " · " + contact.presenceText
                                                               : contact.presenceText
                            font.pixelSize: 12
                            opacity: 0.7
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                        }
                    }
                    Rectangle {
                        visible: contact.unread > 0
                        radius: height / 2
                        color: "#2456b3"
                        implicitHeight: badgeText.implicitHeight + 6
                        implicitWidth: Math.max(implicitHeight, badgeText.implicitWidth + 14)
                        Accessible.role: Accessible.StaticText
                        Accessible.name: qsTr("Unread messages: %n", "", contact.unread)

                        Label {
                            id: badgeText
                            anchors.centerIn: parent
                            text: contact.unread
                            color: "white"
                            font.bold: true
                        }
                    }
                }
            }

            Label {
                anchors.centerIn: parent
                width: parent.width - 48
                visible: contactList.count === 0
                text: qsTr("No contacts yet. Add one with “Add contact”.")
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.Wrap
                opacity: 0.7
            }
        }
    }

    Dialog {
        id: addDialog

        property string error: ""

        objectName: "addContactDialog"
        title: qsTr("Add contact")
        modal: true
        anchors.centerIn: Overlay.overlay
        width: Math.min(page.width - 48, 420)

        function submit() {
            const result = page.context.addContact(addField.text)
            if (result.length === 0)
                addDialog.close()
            else
                addDialog.error = result
        }

        onOpened: {
            error = ""
            addField.clear()
            addField.forceActiveFocus()
        }

        ColumnLayout {
            anchors.fill: parent
            spacing: 8

            Label {
                text: qsTr("Their address")
            }
            TextField {
                id: addField
                objectName: "addContactField"
                placeholderText: qsTr("name@example.org")
                inputMethodHints: Qt.ImhEmailCharactersOnly | Qt.ImhNoAutoUppercase
                Accessible.name: qsTr("Address of the new contact")
                Layout.fillWidth: true
                onAccepted: addDialog.submit()
            }
            Label {
                text: qsTr("They will be asked to share their presence with you.")
                wrapMode: Text.Wrap
                opacity: 0.75
                Layout.fillWidth: true
            }
            Label {
                text: addDialog.error
                visible: text.length > 0
                color: "#b00020"
                wrapMode: Text.Wrap
                Accessible.role: Accessible.AlertMessage
                Layout.fillWidth: true
            }
        }

        footer: DialogButtonBox {
            Button {
                objectName: "addContactCancel"
                text: qsTr("Cancel")
                DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
            }
            Button {
                text: qsTr("Add")
                enabled: addField.text.trim().length > 0
                DialogButtonBox.buttonRole: DialogButtonBox.ApplyRole
                onClicked: addDialog.submit()
            }
        }
    }
}
