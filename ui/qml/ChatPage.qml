import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto

// One conversation: the history, the delivery state of what we sent, and the composer; how the
// conversation is encrypted (the shield, a badge per message, the identity-change warning) and the actions
// to start an encrypted session and to verify it.
//
// The engine-fed state lives on the page's ConversationModel (conversationModel below): the app sets its
// sessionStatus, identityChanged and verificationFlow. "Verify…" is offered while that flow has a code
// that can still be compared or looked at; the SAS dialog also opens by itself when the flow starts a
// comparison for a contact not verified before, while this page is the one shown.
Page {
    id: page

    required property AppContext context
    required property string peer
    signal backRequested()
    // The user asked for an encrypted session with the contact (the app starts the negotiation).
    signal startEncryptedSessionRequested()

    property string sendError: ""

    readonly property ConversationModel conversationModel: conversation
    readonly property VerificationFlow verificationFlow: conversation.verificationFlow
    // Only with a live session: after it ended or failed its code proves nothing the user could act on.
    readonly property bool canVerify: (conversation.sessionStatus === ConversationModel.Unverified
                                       || conversation.sessionStatus === ConversationModel.Verified)
                                      && page.verificationFlow !== null
                                      && page.verificationFlow.state !== VerificationFlow.Idle
                                      && page.verificationFlow.state !== VerificationFlow.Mismatch
    // The shield in words: never colour alone. It says what the next message will be.
    readonly property string encryptionText: {
        switch (conversation.sessionStatus) {
        case ConversationModel.Unverified:
            return qsTr("Encrypted, not verified")
        case ConversationModel.Verified:
            return qsTr("Encrypted and verified")
        case ConversationModel.Failed:
            return qsTr("Encryption failed")
        case ConversationModel.Negotiating:
            return qsTr("Negotiating…")
        case ConversationModel.Waiting:
            return qsTr("Encrypted conversation, no session yet")
        default:
            return qsTr("Not encrypted")
        }
    }
    // Encryption is wanted but no session is up: what the user writes waits.
    readonly property bool messagesWait: conversation.sessionStatus === ConversationModel.Failed
                                         || conversation.sessionStatus === ConversationModel.Waiting
                                         || conversation.sessionStatus === ConversationModel.Negotiating

    function retryEncryption() {
        const why = page.context.startEncryptedSession(page.peer)
        page.sendError = why
    }

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
            const why = conversation.lastSendError()
            page.sendError = why !== "" ? why : qsTr("The message could not be saved. Your text is still in the box.")
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

    // Opens the SAS dialog; a comparison that was cancelled starts again with the same code.
    function openVerification() {
        if (!page.canVerify)
            return
        if (page.verificationFlow.state === VerificationFlow.Cancelled)
            page.verificationFlow.restart()
        sasDialog.open()
    }

    ConversationModel {
        id: conversation
        context: page.context
        peer: page.peer
        active: page.StackView.status === StackView.Active
    }

    Dialog {
        id: passphraseDialog
        objectName: "passphraseDialog"
        // The same call creates a passphrase vault or opens the existing one; the words follow the case.
        readonly property bool unlocking: page.context !== null && page.context.vaultLocked
        title: unlocking ? qsTr("Unlock your history") : qsTr("Protect remembered contacts")
        modal: true
        anchors.centerIn: Overlay.overlay
        width: Math.min(page.width - 48, 460)
        standardButtons: Dialog.Ok | Dialog.Cancel

        ColumnLayout {
            anchors.fill: parent
            spacing: 8

            Label {
                text: passphraseDialog.unlocking
                      ? qsTr("Your messages and the secrets of the contacts you verified are encrypted under your passphrase. Enter it to open them.")
                      : qsTr("Sotto keeps a secret for each contact you verified, so that later sessions need no new code. Without a keyring it can keep them encrypted under a passphrase, which you enter each time you start Sotto.")
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
            TextField {
                id: passphraseField
                objectName: "passphraseField"
                echoMode: TextInput.Password
                placeholderText: qsTr("Passphrase")
                Accessible.name: qsTr("Passphrase for remembered contacts")
                Layout.fillWidth: true
            }
        }

        onAccepted: {
            const why = page.context.usePassphrase(passphraseField.text)
            passphraseField.text = ""
            if (why !== "")
                page.sendError = why
        }
        onRejected: passphraseField.text = ""
    }

    SasDialog {
        id: sasDialog
        flow: page.verificationFlow
    }

    // Leaving encryption is the user's explicit choice, in words, never one click.
    Dialog {
        id: endEncryptionDialog
        objectName: "endEncryptionDialog"
        title: qsTr("End encryption with %1?").arg(conversation.peerName)
        modal: true
        anchors.centerIn: Overlay.overlay
        width: Math.min(page.width - 48, 460)
        footer: DialogButtonBox {
            Button {
                objectName: "confirmEndEncryptionButton"
                text: qsTr("End encryption")
                DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
            }
            Button {
                text: qsTr("Keep encrypting")
                DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
            }
        }

        ColumnLayout {
            anchors.fill: parent

            Label {
                text: qsTr("The encrypted session ends, and what you write to %1 afterwards is sent unencrypted: the servers on the way can read it. You can start a new encrypted session at any time.").arg(conversation.peerName)
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
        }

        onAccepted: page.sendError = page.context.endEncryption(page.peer)
    }

    Dialog {
        id: allowOlderCodeDialog
        objectName: "allowOlderCodeDialog"
        title: qsTr("Allow the older code with %1?").arg(conversation.peerName)
        modal: true
        anchors.centerIn: Overlay.overlay
        width: Math.min(page.width - 48, 460)
        footer: DialogButtonBox {
            Button {
                objectName: "confirmAllowOlderCodeButton"
                text: qsTr("Allow and retry")
                DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
            }
            Button {
                text: qsTr("Cancel")
                DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
            }
        }

        ColumnLayout {
            anchors.fill: parent

            Label {
                text: qsTr("%1's client only knows the older verification code (sas28x5). The conversation will be encrypted, but someone in the middle could make that code match on both sides, so comparing it proves less than Sotto's own code. You can switch this off again in Settings > Encryption.").arg(conversation.peerName)
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
        }

        onAccepted: page.sendError = page.context.allowOlderCodeAndRetry(page.peer)
    }

    Dialog {
        id: sendUnencryptedDialog
        objectName: "sendUnencryptedDialog"
        title: qsTr("Send unencrypted to %1?").arg(conversation.peerName)
        modal: true
        anchors.centerIn: Overlay.overlay
        width: Math.min(page.width - 48, 460)
        footer: DialogButtonBox {
            Button {
                objectName: "confirmSendUnencryptedButton"
                text: qsTr("Send unencrypted")
                DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
            }
            Button {
                text: qsTr("Keep waiting")
                DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
            }
        }

        ColumnLayout {
            anchors.fill: parent

            Label {
                text: qsTr("The messages that wait for encryption, and what you write to %1 next, are sent unencrypted: the servers on the way can read them. Choose this only if nothing in them is private.").arg(conversation.peerName)
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
        }

        onAccepted: page.sendError = page.context.sendUnencrypted(page.peer)
    }

    Connections {
        target: page.verificationFlow

        function onStarted() {
            if (conversation.active && !page.verificationFlow.alreadyVerified)
                sasDialog.open()
        }
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
            Rectangle {
                id: shield
                objectName: "encryptionShield"

                readonly property color tint: {
                    switch (conversation.sessionStatus) {
                    case ConversationModel.Unverified:
                        return "#8a5a00"
                    case ConversationModel.Verified:
                        return "#1b5e20"
                    case ConversationModel.Failed:
                        return "#b00020"
                    case ConversationModel.Negotiating:
                    case ConversationModel.Waiting:
                        return "#1a4e8a"
                    default:
                        return "#5a5a5a"
                    }
                }

                implicitWidth: shieldRow.implicitWidth + 16
                implicitHeight: shieldRow.implicitHeight + 8
                radius: height / 2
                color: "transparent"
                border.color: shield.tint
                Accessible.role: Accessible.StaticText
                Accessible.name: page.encryptionText

                Row {
                    id: shieldRow
                    anchors.centerIn: parent
                    spacing: 4

                    Label {
                        objectName: "encryptionSymbol"
                        text: conversation.sessionStatus === ConversationModel.Unverified ? "?"
                            : conversation.sessionStatus === ConversationModel.Verified ? "✓"
                            : conversation.sessionStatus === ConversationModel.Failed ? "!"
                            : conversation.sessionStatus === ConversationModel.Negotiating
                              || conversation.sessionStatus === ConversationModel.Waiting ? "…" : "–"
                        color: shield.tint
                        font.bold: true
                        font.pixelSize: 12
                        Accessible.ignored: true
                    }
                    Label {
                        objectName: "encryptionStatus"
                        text: page.encryptionText
                        color: shield.tint
                        font.pixelSize: 12
                        Accessible.ignored: true
                    }
                }
            }
            ToolButton {
                objectName: "startEncryptionButton"
                visible: conversation.sessionStatus === ConversationModel.Plain
                enabled: conversation.canSend
                text: qsTr("Start encrypted session")
                onClicked: page.startEncryptedSessionRequested()
            }
            ToolButton {
                objectName: "endEncryptionButton"
                visible: conversation.plaintextAllowed
                         && (conversation.sessionStatus === ConversationModel.Unverified
                             || conversation.sessionStatus === ConversationModel.Verified)
                text: qsTr("End encryption…")
                Accessible.name: qsTr("End the encrypted session with %1").arg(conversation.peerName)
                onClicked: endEncryptionDialog.open()
            }
            ToolButton {
                objectName: "verifyButton"
                visible: page.canVerify
                text: qsTr("Verify…")
                Accessible.name: qsTr("Verify %1 by comparing a code").arg(conversation.peerName)
                onClicked: page.openVerification()
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // Someone who is not a contact asks for an encrypted session: answering at all tells them you are online,
        // so nothing is sent until the user decides (XEP-0155 §Presence Leaks).
        Pane {
            objectName: "encryptionRequestPane"
            visible: conversation.encryptionRequested
            padding: 10
            Accessible.role: Accessible.AlertMessage
            Accessible.name: encryptionRequestText.text
            Layout.fillWidth: true
            background: Rectangle {
                color: "#eaf1fb"
                border.color: "#a9c4e4"
            }

            RowLayout {
                anchors.fill: parent
                spacing: 8

                Label {
                    id: encryptionRequestText
                    text: qsTr("%1 is not in your contacts and asks for an encrypted session. Answering, even with no, tells them you are online.").arg(page.peer)
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
                Button {
                    objectName: "acceptEncryptionRequestButton"
                    text: qsTr("Accept")
                    Accessible.name: qsTr("Accept the encrypted session with %1").arg(page.peer)
                    onClicked: page.context.acceptEncryptionRequest(page.peer)
                }
                Button {
                    objectName: "declineEncryptionRequestButton"
                    text: qsTr("Decline")
                    Accessible.name: qsTr("Decline the encrypted session with %1").arg(page.peer)
                    onClicked: page.context.declineEncryptionRequest(page.peer)
                }
            }
        }

        // Encryption is wanted but no session is up: why, what happens to what the user writes, and the ways on.
        Pane {
            objectName: "encryptionStateBar"
            visible: page.messagesWait
            padding: 10
            Accessible.role: Accessible.AlertMessage
            Accessible.name: encryptionStateText.text
            Layout.fillWidth: true
            background: Rectangle {
                color: conversation.sessionStatus === ConversationModel.Failed ? "#fdecea" : "#eef4fb"
                border.color: conversation.sessionStatus === ConversationModel.Failed ? "#e0a8a8" : "#a9c4e4"
            }

            RowLayout {
                anchors.fill: parent
                spacing: 8

                Label {
                    id: encryptionStateText
                    objectName: "encryptionStateText"
                    text: {
                        const waiting = qsTr("What you write waits and is sent only encrypted.")
                        switch (conversation.sessionStatus) {
                        case ConversationModel.Negotiating:
                            return qsTr("Setting up an encrypted session with %1… %2").arg(conversation.peerName).arg(waiting)
                        case ConversationModel.Waiting:
                            return qsTr("This conversation is encrypted, and no session with %1 is up right now. %2 A new session starts with your next message, or with Retry.").arg(conversation.peerName).arg(waiting)
                        default:
                            return conversation.failureText + " " + waiting
                        }
                    }
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
                Button {
                    objectName: "allowOlderCodeButton"
                    visible: conversation.olderCodeNeeded
                    text: qsTr("Allow the older code…")
                    Accessible.name: qsTr("Allow the older verification code with %1").arg(conversation.peerName)
                    onClicked: allowOlderCodeDialog.open()
                }
                Button {
                    objectName: "retryEncryptionButton"
                    visible: conversation.sessionStatus !== ConversationModel.Negotiating
                    enabled: conversation.canSend
                    text: qsTr("Retry")
                    Accessible.name: qsTr("Try the encrypted session with %1 again").arg(conversation.peerName)
                    onClicked: page.retryEncryption()
                }
                Button {
                    objectName: "sendUnencryptedButton"
                    visible: conversation.plaintextAllowed && conversation.sessionStatus !== ConversationModel.Negotiating
                    text: qsTr("Send unencrypted…")
                    onClicked: sendUnencryptedDialog.open()
                }
            }
        }

        // A verified contact came back without the secret we kept: inline and in words, not a popup.
        Pane {
            objectName: "identityWarning"
            visible: conversation.identityChanged
            padding: 10
            Accessible.role: Accessible.AlertMessage
            Accessible.name: identityWarningText.text
            Layout.fillWidth: true
            background: Rectangle {
                color: "#fdecea"
                border.color: "#e0a8a8"
            }

            RowLayout {
                anchors.fill: parent
                spacing: 8

                Label {
                    id: identityWarningText
                    objectName: "identityWarningText"
                    text: qsTr("The encryption identity of %1 changed since you verified it. A reinstall or a new device looks the same as someone intercepting the conversation: compare the code again before sharing anything sensitive.").arg(conversation.peerName)
                    color: "#7a0014"
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
                Button {
                    objectName: "identityWarningVerifyButton"
                    visible: page.canVerify
                    text: qsTr("Verify…")
                    onClicked: page.openVerification()
                }
            }
        }

        // The session was authenticated by the secret kept for another address: say who this is, since the
        // contact list shows them under this address only. Information, not an alarm.
        Pane {
            objectName: "formerJidNotice"
            visible: conversation.formerJid !== "" && !conversation.identityChanged
            padding: 8
            Accessible.role: Accessible.StaticText
            Accessible.name: formerJidNoticeText.text
            Layout.fillWidth: true
            background: Rectangle {
                color: "#e8f1fb"
                border.color: "#a9c4e4"
            }

            Label {
                id: formerJidNoticeText
                objectName: "formerJidNoticeText"
                anchors.fill: parent
                text: qsTr("%1 holds the secret you kept for %2: it went into this session's key and now belongs to %1. A new address is not proof of who this is: compare the code to verify %1.").arg(conversation.peerName).arg(conversation.formerJid)
                wrapMode: Text.Wrap
            }
        }

        // Without a keyring, what the app remembers about verified contacts lasts for this run only,
        // unless a passphrase protects it: said where it matters, with the way out. A locked passphrase vault
        // matters in every conversation, since the history cannot be read until it is opened.
        Pane {
            objectName: "encryptionNotice"
            visible: page.context !== null && page.context.encryptionNotice !== ""
                     && (conversation.sessionStatus !== ConversationModel.Plain || page.context.vaultLocked)
            padding: 8
            Layout.fillWidth: true
            background: Rectangle {
                color: "#fff8e1"
                border.color: "#e6d39a"
            }

            RowLayout {
                anchors.fill: parent
                spacing: 8

                Label {
                    objectName: "encryptionNoticeText"
                    text: page.context ? page.context.encryptionNotice : ""
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
                Button {
                    objectName: "usePassphraseButton"
                    text: page.context && page.context.vaultLocked ? qsTr("Unlock…") : qsTr("Use a passphrase…")
                    onClicked: passphraseDialog.open()
                }
            }
        }

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
                required property string encryptionBadge
                required property bool unreadable

                // Per message, the way it travelled; "encrypted" is qualified by the session's verification.
                readonly property string badgeSymbol: message.encryptionBadge === "failed" ? "!"
                    : message.encryptionBadge !== "encrypted" ? ""
                    : conversation.sessionStatus === ConversationModel.Verified ? "✓" : "?"

                readonly property real maxTextWidth: Math.max(160, width * 0.7) - 24

                width: ListView.view.width
                height: bubble.height
                Accessible.role: Accessible.StaticText
                Accessible.name: message.outgoing
                                 ? qsTr("You, %1, %2: %3").arg(message.timeText).arg(message.stateText).arg(message.body)
                                 : message.deliveryState === "undecryptable"
                                 ? qsTr("%1, %2, could not be decrypted: %3").arg(conversation.peerName).arg(message.timeText).arg(message.body)
                                 : message.encryptionBadge === "unencrypted-arrival"
                                 ? qsTr("%1, %2, arrived unencrypted: %3").arg(conversation.peerName).arg(message.timeText).arg(message.body)
                                 : qsTr("%1, %2: %3").arg(conversation.peerName).arg(message.timeText).arg(message.body)

                Rectangle {
                    id: bubble

                    x: message.outgoing ? message.width - width - 16 : 16
                    width: Math.max(bodyText.width, metaText.implicitWidth + (badge.visible ? badge.implicitWidth + 6 : 0),
                                    renegotiate.visible ? renegotiate.implicitWidth : 0) + 24
                    height: metaText.y + metaText.implicitHeight + 8
                    radius: 10
                    color: message.outgoing ? "#d9e7ff"
                         : message.deliveryState === "undecryptable" ? "#fdecea"
                         : message.encryptionBadge === "unencrypted-arrival" ? "#fff3e0" : "#efefef"
                    border.color: message.outgoing ? "#b3cbf0" : "#d8d8d8"

                    Text {
                        id: bodyText
                        objectName: "messageBody"
                        x: 12
                        y: 8
                        width: Math.min(implicitWidth, message.maxTextWidth)
                        text: message.unreadable
                              ? qsTr("This message is stored encrypted and cannot be opened now: the key that "
                                     + "protects your history is locked, or it was kept for one run only.")
                              : message.deliveryState === "undecryptable"
                              ? qsTr("⚠ This message could not be decrypted: %1").arg(message.body)
                              : message.body
                        font.italic: message.unreadable
                        // Never interpret what a contact sent as markup.
                        textFormat: Text.PlainText
                        wrapMode: Text.Wrap
                        color: "#1a1a1a"
                        font.pixelSize: 14
                    }
                    // A message that could not be opened: a new session gets the conversation going again
                    // (the contact's client sends what it has not seen confirmed).
                    Button {
                        id: renegotiate
                        objectName: "renegotiateButton"
                        visible: message.deliveryState === "undecryptable" && !message.outgoing
                        x: 12
                        y: bodyText.y + bodyText.height + 4
                        text: qsTr("Renegotiate")
                        Accessible.name: qsTr("Start a new encrypted session with %1").arg(conversation.peerName)
                        onClicked: page.startEncryptedSessionRequested()
                    }
                    Text {
                        id: metaText
                        objectName: "messageMeta"
                        anchors.right: parent.right
                        anchors.rightMargin: 12
                        y: (renegotiate.visible ? renegotiate.y + renegotiate.height : bodyText.y + bodyText.height) + 2
                        // A plain message in an encrypted conversation says so in words: it changed nothing, and
                        // anyone on the way could have read or written it.
                        text: message.outgoing ? message.timeText + " · " + message.stateText
                            : message.encryptionBadge === "unencrypted-arrival"
                              ? message.timeText + " · " + qsTr("⚠ arrived unencrypted")
                              : message.timeText
                        color: message.deliveryState === "failed" || message.encryptionBadge === "unencrypted-arrival"
                               ? "#b00020" : "#5a5a5a"
                        font.pixelSize: 11
                    }
                    Text {
                        id: badge
                        objectName: "encryptionBadge"
                        anchors.right: metaText.left
                        anchors.rightMargin: 6
                        y: metaText.y
                        visible: message.badgeSymbol.length > 0
                        text: message.badgeSymbol
                        color: message.badgeSymbol === "!" ? "#b00020" : message.badgeSymbol === "✓" ? "#1b5e20" : "#8a5a00"
                        font.pixelSize: 11
                        font.bold: true
                        Accessible.role: Accessible.StaticText
                        Accessible.name: message.badgeSymbol === "!" ? qsTr("could not be decrypted")
                                       : message.badgeSymbol === "✓" ? qsTr("encrypted, verified")
                                       : qsTr("encrypted, not verified")
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
