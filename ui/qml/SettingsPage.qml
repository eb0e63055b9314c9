import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto

// Settings, "Encryption" section: what Sotto remembers about each contact (retained secrets) in plain
// words, with the actions on it, and each contact's encrypted-session policy and compatibility with other
// ESession clients.
Page {
    id: page
    objectName: "settingsPage"

    required property AppContext context
    signal backRequested()

    EncryptionSettingsModel {
        id: secrets
        context: page.context
        onCountChanged: page.refreshVault()
    }

    property var vaultState: ({ kind: "", unlocked: false })
    property string vaultError: ""
    property string groupsError: ""
    function refreshVault() {
        page.vaultState = { kind: page.context ? page.context.vaultKind() : "",
                            unlocked: page.context ? page.context.isVaultUnlocked() : false }
    }
    Component.onCompleted: refreshVault()
    // Opened or locked elsewhere (the chat page's "Unlock…"): the section follows.
    Connections {
        target: page.context
        function onEncryptionNoticeChanged() { page.refreshVault() }
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

        // Where the key that protects all of this lives, and what can be done about it.
        RowLayout {
            spacing: 8
            Layout.fillWidth: true

            Label {
                id: vaultText
                objectName: "vaultText"
                text: {
                    const kind = page.vaultState.kind
                    if (kind === "keyring")
                        return qsTr("The key that protects them is in your desktop keyring.")
                    if (kind === "passphrase")
                        return page.vaultState.unlocked ? qsTr("The key that protects them is protected by your passphrase.")
                                                        : qsTr("The key that protects them, and your message history, is locked: unlock it with your passphrase.")
                    return qsTr("They are kept for this run only: there is no keyring and no passphrase yet.")
                }
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
            Button {
                objectName: "unlockButton"
                visible: page.vaultState.kind === "passphrase" && !page.vaultState.unlocked
                text: qsTr("Unlock…")
                onClicked: unlockDialog.open()
            }
            Button {
                objectName: "changePassphraseButton"
                visible: page.vaultState.kind === "passphrase" && page.vaultState.unlocked
                text: qsTr("Change passphrase…")
                onClicked: changeDialog.open()
            }
            Button {
                objectName: "lockNowButton"
                visible: page.vaultState.kind === "passphrase" && page.vaultState.unlocked
                text: qsTr("Lock now")
                onClicked: {
                    page.context.lockVault()
                    page.refreshVault()
                }
            }
        }

        Label {
            objectName: "vaultError"
            visible: text !== ""
            color: "#b00020"
            wrapMode: Text.Wrap
            Layout.fillWidth: true
            text: page.vaultError
        }

        // Which Diffie-Hellman (MODP) groups new sessions offer and accept: bigger is stronger and slower.
        ColumnLayout {
            objectName: "groupsSection"
            spacing: 4
            enabled: page.context !== null && page.context.sessionOpen
            Layout.fillWidth: true

            Label {
                text: qsTr("Key exchange strength")
                font.bold: true
            }
            Label {
                objectName: "groupsHint"
                text: qsTr("New encrypted sessions offer the ticked groups, strongest first, and accept only these from contacts. A bigger group is stronger but slower: the first handshake with group 18 takes about a second. Groups 1, 2 and 5 are too weak and are never used.")
                wrapMode: Text.Wrap
                opacity: 0.8
                Layout.fillWidth: true
            }
            Flow {
                spacing: 12
                Layout.fillWidth: true

                Repeater {
                    model: secrets.groupChoices
                    CheckBox {
                        id: groupBox
                        required property int modelData
                        objectName: "groupCheck" + groupBox.modelData
                        text: qsTr("Group %1 (%2-bit)").arg(groupBox.modelData).arg(secrets.groupBits(groupBox.modelData))
                        checked: secrets.offeredGroups.indexOf(groupBox.modelData) >= 0
                        Accessible.name: qsTr("Offer group %1 (%2-bit)").arg(groupBox.modelData).arg(secrets.groupBits(groupBox.modelData))
                        onToggled: {
                            page.groupsError = secrets.setGroupOffered(groupBox.modelData, groupBox.checked)
                                ? "" : qsTr("Keep at least one group: without one, no encrypted session can start.")
                            // The stored choice is the truth: a refused change snaps back.
                            groupBox.checked = Qt.binding(() => secrets.offeredGroups.indexOf(groupBox.modelData) >= 0)
                        }
                    }
                }
            }
            Label {
                objectName: "groupsError"
                visible: text !== ""
                text: page.groupsError
                color: "#b00020"
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
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
                    // Off by default: only Sotto's own code, which nobody in the middle can make match.
                    CheckBox {
                        id: weakSasBox
                        objectName: "weakSasBox"
                        text: qsTr("Compatibility with other ESession clients")
                        checked: secrets.weakSasAllowed(row.peer)
                        Accessible.name: qsTr("Compatibility with other ESession clients for %1").arg(row.peer)
                        Accessible.description: weakSasHint.text
                        onToggled: {
                            secrets.setWeakSasAllowed(row.peer, weakSasBox.checked)
                            // The stored choice is the truth: a change that was not stored snaps back.
                            weakSasBox.checked = Qt.binding(() => secrets.weakSasAllowed(row.peer))
                        }
                    }
                    Label {
                        id: weakSasHint
                        objectName: "weakSasHint"
                        text: qsTr("Allows their older verification code (sas28x5). Someone in the middle could make that code match, so a code compared with such a client proves less than Sotto's own.")
                        wrapMode: Text.Wrap
                        opacity: 0.8
                        Layout.fillWidth: true
                    }
                }
            }
        }
    }

    Dialog {
        id: unlockDialog
        objectName: "unlockDialog"
        title: qsTr("Unlock your history")
        modal: true
        anchors.centerIn: Overlay.overlay
        width: Math.min(page.width - 48, 420)
        standardButtons: Dialog.Ok | Dialog.Cancel

        TextField {
            id: unlockPassphrase
            objectName: "unlockPassphraseField"
            anchors.left: parent.left
            anchors.right: parent.right
            echoMode: TextInput.Password
            placeholderText: qsTr("Passphrase")
            Accessible.name: placeholderText
            onAccepted: unlockDialog.accept()
        }
        onAccepted: {
            page.vaultError = page.context.usePassphrase(unlockPassphrase.text)
            unlockPassphrase.text = ""
            page.refreshVault()
        }
        onRejected: unlockPassphrase.text = ""
    }

    Dialog {
        id: changeDialog
        objectName: "changePassphraseDialog"
        title: qsTr("Change passphrase")
        modal: true
        anchors.centerIn: Overlay.overlay
        width: Math.min(page.width - 48, 420)
        standardButtons: Dialog.Ok | Dialog.Cancel

        ColumnLayout {
            anchors.fill: parent
            TextField {
                id: oldPassphrase
                objectName: "oldPassphraseField"
                echoMode: TextInput.Password
                placeholderText: qsTr("Current passphrase")
                Accessible.name: placeholderText
                Layout.fillWidth: true
            }
            TextField {
                id: newPassphrase
                objectName: "newPassphraseField"
                echoMode: TextInput.Password
                placeholderText: qsTr("New passphrase")
                Accessible.name: placeholderText
                Layout.fillWidth: true
            }
        }
        onAccepted: {
            page.vaultError = page.context.changePassphrase(oldPassphrase.text, newPassphrase.text)
            oldPassphrase.text = ""
            newPassphrase.text = ""
            page.refreshVault()
        }
        onRejected: {
            oldPassphrase.text = ""
            newPassphrase.text = ""
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
