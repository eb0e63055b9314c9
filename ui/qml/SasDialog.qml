import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto

// Comparing the short authentication string of an encrypted session with the contact, by voice. Each state
// of the VerificationFlow is a state here; the dialog only shows it and passes the user's answers on.
// Closing it before an answer cancels the comparison (the contact stays unverified).
Dialog {
    id: dialog

    property VerificationFlow flow: null
    readonly property int flowState: flow ? flow.state : VerificationFlow.Idle
    readonly property string contactName: flow ? flow.contactName : ""
    // The older code of other ESession clients: named as such, with its warning, wherever the code is shown.
    readonly property bool weakSas: flow !== null && flow.sasKind === VerificationFlow.Sas28x5
    // The name of the QML state shown: idle, comparing, confirming, verified, mismatch or cancelled.
    readonly property string state: content.state

    objectName: "sasDialog"
    title: qsTr("Verify %1").arg(dialog.contactName)
    modal: true
    // A stray click next to the dialog must not answer for the user; Escape cancels.
    closePolicy: Popup.CloseOnEscape
    anchors.centerIn: Overlay.overlay
    width: Math.min((parent ? parent.width : 520) - 48, 520)
    // Room around the code and the answers: this dialog is read aloud from, not skimmed.
    padding: 20
    topPadding: 12
    header: Label {
        objectName: "sasTitle"
        text: dialog.title
        font.bold: true
        font.pixelSize: Qt.application.font.pixelSize * 1.15
        elide: Label.ElideRight
        padding: 20
        bottomPadding: 0
    }

    onClosed: {
        if (dialog.flowState === VerificationFlow.Comparing || dialog.flowState === VerificationFlow.ConfirmingMatch)
            dialog.flow.cancel()
    }
    // The app may cancel the flow itself (the session went away): nothing is left to compare.
    onFlowStateChanged: {
        if (dialog.opened && (dialog.flowState === VerificationFlow.Cancelled || dialog.flowState === VerificationFlow.Idle))
            dialog.close()
    }

    // A Popup is not an Item: the states live on the content.
    ColumnLayout {
        id: content
        objectName: "sasContent"
        anchors.fill: parent
        spacing: 12

        state: {
            switch (dialog.flowState) {
            case VerificationFlow.Comparing:
                return "comparing"
            case VerificationFlow.ConfirmingMatch:
                return "confirming"
            case VerificationFlow.Verified:
                return "verified"
            case VerificationFlow.Mismatch:
                return "mismatch"
            case VerificationFlow.Cancelled:
                return "cancelled"
            default:
                return "idle"
            }
        }

        // Visibility is bound to the state rather than set by PropertyChanges: a state applied while the
        // popup is closed would record the hidden popup's "visible: false" and restore it later.
        states: [
            State {
                name: "idle"
                PropertyChanges { target: message; text: "" }
            },
            State {
                name: "comparing"
                PropertyChanges {
                    target: message
                    text: qsTr("Call %1 or meet in person. Read the code below aloud to each other: it must be the same on both screens.").arg(dialog.contactName)
                }
            },
            State {
                name: "confirming"
                PropertyChanges {
                    target: message
                    text: qsTr("Did you compare this code with %1 by voice or in person, and is every character the same? Only then mark them as verified: a code sent in a chat message proves nothing.").arg(dialog.contactName)
                }
            },
            State {
                name: "verified"
                PropertyChanges {
                    target: message
                    // A matching sas28x5 code does not rule out someone in the middle who made it match.
                    text: dialog.weakSas
                          ? qsTr("%1 is marked as verified. The codes matched, but this older kind of code can be made to match by someone in the middle, so it proves less than Sotto's own code. You will be warned if their encryption identity changes.").arg(dialog.contactName)
                          : qsTr("%1 is verified. The codes matched, so nobody sits between you in this session. You will be warned if their encryption identity changes.").arg(dialog.contactName)
                    color: "#1b5e20"
                }
            },
            State {
                name: "mismatch"
                PropertyChanges {
                    target: message
                    text: qsTr("The codes differ: someone may be intercepting this conversation. The encrypted session with %1 was ended. Send nothing sensitive until a new session's code matches.").arg(dialog.contactName)
                    color: "#b00020"
                }
                PropertyChanges { target: sasText; font.strikeout: true }
            },
            State {
                name: "cancelled"
                PropertyChanges {
                    target: message
                    text: qsTr("Verification cancelled. %1 is not verified.").arg(dialog.contactName)
                }
            }
        ]

        Label {
            id: message
            objectName: "sasMessage"
            wrapMode: Text.Wrap
            // The outcome of a mismatch is read out at once.
            Accessible.role: content.state === "mismatch" ? Accessible.AlertMessage : Accessible.StaticText
            Accessible.name: text
            Layout.fillWidth: true
        }

        Label {
            id: alreadyVerifiedNote
            objectName: "sasAlreadyVerified"
            visible: content.state === "comparing" && dialog.flow !== null && dialog.flow.alreadyVerified
            text: qsTr("You verified %1 before and this session still uses that secret: comparing again is optional.").arg(dialog.contactName)
            wrapMode: Text.Wrap
            opacity: 0.75
            Layout.fillWidth: true
        }

        // Which code this is. The weaker one is said in words, framed, with "Warning" in its text and accessible name:
        // not by colour alone.
        Label {
            id: kindLabel
            objectName: "sasKind"
            visible: codeBox.visible
            text: dialog.weakSas
                  ? qsTr("Warning: older ESession code (sas28x5): weaker — someone in the middle could make it match")
                  : qsTr("Sotto verification code")
            font.bold: true
            wrapMode: Text.Wrap
            padding: dialog.weakSas ? 8 : 0
            color: dialog.weakSas ? "#6b4000" : palette.windowText
            background: Rectangle {
                objectName: "sasWeakWarning"
                visible: dialog.weakSas
                color: "#fff4e0"
                border.color: "#8a5a00"
                border.width: 2
                radius: 4
            }
            Accessible.role: dialog.weakSas ? Accessible.AlertMessage : Accessible.StaticText
            Accessible.name: text
            Layout.fillWidth: true
        }

        Rectangle {
            id: codeBox
            visible: content.state !== "idle"
            color: "#f4f4f4"
            border.color: "#d0d0d0"
            radius: 6
            // Sized from the labels, not from a layout: the box may first appear hidden (no code
            // yet), and a hidden layout is never measured.
            implicitHeight: sasText.implicitHeight + sasSpoken.implicitHeight + codeColumn.spacing + 24
            Layout.fillWidth: true
            Layout.preferredHeight: implicitHeight

            Column {
                id: codeColumn
                anchors.centerIn: parent
                width: parent.width - 24
                spacing: 4

                Label {
                    id: sasText
                    objectName: "sasText"
                    width: parent.width
                    text: dialog.flow ? dialog.flow.groupedSas : ""
                    font.family: "monospace"
                    font.pixelSize: 40
                    font.bold: true
                    font.letterSpacing: 4
                    color: "#1a1a1a"
                    horizontalAlignment: Text.AlignHCenter
                    Accessible.role: Accessible.StaticText
                    Accessible.name: dialog.flow ? dialog.flow.accessibleSas : ""
                }
                Label {
                    id: sasSpoken
                    objectName: "sasSpoken"
                    width: parent.width
                    text: dialog.flow ? dialog.flow.spokenSas : ""
                    horizontalAlignment: Text.AlignHCenter
                    wrapMode: Text.Wrap
                    opacity: 0.8
                    // The code's accessible name already spells it.
                    Accessible.ignored: true
                }
            }
        }

        RowLayout {
            id: compareButtons
            visible: content.state === "comparing"
            spacing: 8
            Layout.fillWidth: true

            Button {
                objectName: "sasLaterButton"
                text: qsTr("Later")
                flat: true
                onClicked: dialog.close()
            }
            Item {
                Layout.fillWidth: true
            }
            Button {
                objectName: "theyDontMatchButton"
                text: qsTr("They don't match")
                onClicked: dialog.flow.theyDontMatch()
            }
            Button {
                objectName: "theyMatchButton"
                text: qsTr("They match")
                onClicked: dialog.flow.theyMatch()
            }
        }

        RowLayout {
            id: confirmButtons
            visible: content.state === "confirming"
            spacing: 8
            Layout.fillWidth: true

            Item {
                Layout.fillWidth: true
            }
            Button {
                objectName: "sasBackButton"
                text: qsTr("Back")
                onClicked: dialog.flow.backToComparing()
            }
            Button {
                objectName: "confirmMatchButton"
                text: qsTr("Yes, mark as verified")
                highlighted: true
                onClicked: dialog.flow.confirmMatch()
            }
        }

        RowLayout {
            id: closeButtons
            visible: content.state === "verified" || content.state === "mismatch" || content.state === "cancelled"
            spacing: 8
            Layout.fillWidth: true

            Item {
                Layout.fillWidth: true
            }
            Button {
                objectName: "sasCloseButton"
                text: qsTr("Close")
                onClicked: dialog.close()
            }
        }
    }
}
