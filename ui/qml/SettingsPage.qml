import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto

// Settings, "Encryption" section: what Sotto remembers about each contact (retained secrets) in plain
// words, with the actions on it, and each contact's encrypted-session policy.
Page {
    id: page
    objectName: "settingsPage"

    required property AppContext context
    signal backRequested()

    EncryptionSettingsModel {
        id: secrets
        context: page.context
    }

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 4
            ToolButton {
                objectName: "settingsBackButton"
                text: qsTr("‹ Contacts")
                Accessible.name: qsTr("Back to the contacts")
                onClicked: page.backRequested()
            }
            Label {
                text: qsTr("Encryption")
                font.bold: true
                Layout.fillWidth: true
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 16
        spacing: 12

        Label {
            text: qsTr("For each contact you talked to in an encrypted session, Sotto keeps a secret that proves it is the same person next time. A verified secret means you once compared the code with them; forgetting it means the next session needs a new comparison.")
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }

        Label {
            objectName: "secretsUnavailable"
            visible: !secrets.available
            text: page.context && page.context.encryptionNotice !== "" ? page.context.encryptionNotice
                                                                        : qsTr("The remembered secrets are locked.")
            wrapMode: Text.Wrap
            color: "#8a5a00"
            Layout.fillWidth: true
        }

        Label {
            objectName: "noSecrets"
            visible: secrets.available && secrets.count === 0
            text: qsTr("Nothing remembered yet.")
            opacity: 0.7
        }

        ListView {
            id: list
            objectName: "secretList"
            model: secrets
            clip: true
            spacing: 10
            Layout.fillWidth: true
            Layout.fillHeight: true

            delegate: Pane {
                id: row
                objectName: "secretRow"
                required property int index
                required property string peer
                required property bool verified
                required property string summary

                width: ListView.view.width
                padding: 10
                Accessible.role: Accessible.StaticText
                Accessible.name: row.peer + ": " + row.summary
                background: Rectangle {
                    color: "#f6f6f6"
                    border.color: "#dcdcdc"
                    radius: 6
                }

                ColumnLayout {
                    anchors.fill: parent
                    spacing: 6
                    Label {
                        text: row.peer + (row.verified ? "  ✓ " + qsTr("verified") : "")
                        font.bold: true
                    }
                    Label {
                        objectName: "secretSummary"
                        text: row.summary
                        wrapMode: Text.Wrap
                        Layout.fillWidth: true
                    }
                    RowLayout {
                        spacing: 8
                        Label { text: qsTr("Encrypted sessions:") }
                        ComboBox {
                            objectName: "policyBox"
                            model: [qsTr("Off"), qsTr("Ask"), qsTr("Always")]
                            currentIndex: secrets.policy(row.peer)
                            Accessible.name: qsTr("Encrypted sessions with %1").arg(row.peer)
                            onActivated: (choice) => secrets.setPolicy(row.peer, choice)
                        }
                        Item { Layout.fillWidth: true }
                        Button {
                            objectName: "markUnverifiedButton"
                            visible: row.verified
                            text: qsTr("Mark as unverified")
                            onClicked: secrets.markUnverified(row.index)
                        }
                        Button {
                            objectName: "forgetButton"
                            text: qsTr("Forget…")
                            onClicked: {
                                forgetDialog.row = row.index
                                forgetDialog.peer = row.peer
                                forgetDialog.open()
                            }
                        }
                    }
                }
            }
        }
    }

    Dialog {
        id: forgetDialog
        objectName: "forgetDialog"
        property int row: -1
        property string peer: ""
        title: qsTr("Forget this secret?")
        modal: true
        anchors.centerIn: Overlay.overlay
        width: Math.min(page.width - 48, 460)
        standardButtons: Dialog.Cancel

        ColumnLayout {
            anchors.fill: parent
            Label {
                text: qsTr("The next encrypted session with %1 will not be recognised as the same person: you will need to compare a new code with them by voice or in person.").arg(forgetDialog.peer)
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
            RowLayout {
                Button {
                    objectName: "forgetOneButton"
                    text: qsTr("Forget this secret")
                    onClicked: {
                        secrets.forget(forgetDialog.row)
                        forgetDialog.close()
                    }
                }
                Button {
                    objectName: "forgetAllButton"
                    text: qsTr("Forget all for this contact")
                    onClicked: {
                        secrets.forgetAll(forgetDialog.peer)
                        forgetDialog.close()
                    }
                }
            }
        }
    }
}
