import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto

// Logging in, or opening an account's history and queue without connecting.
Page {
    id: page

    required property AppContext context
    // Show the open account's contacts now, without waiting for the connection.
    signal openRequested()

    // Logging in: the account is open and trying to connect but has not been online since.
    readonly property bool connecting: context.sessionOpen && context.canReconnect
                                       && context.connectionState !== AppContext.Online

    objectName: "loginPage"
    title: qsTr("Log in")

    // Whether the address typed has a remembered password, and where the key that opens it lives.
    readonly property bool remembered: page.context.hasRememberedLogin(jidField.text, page.context.credentialsRevision)
    readonly property bool rememberedNeedsPassphrase: page.remembered
                                                      && page.context.vaultKindOf(jidField.text) === "passphrase"

    function submit() {
        if (!loginButton.enabled)
            return
        const port = portField.text.length > 0 ? parseInt(portField.text, 10) : 0
        page.context.loginAndRemember(jidField.text, passwordField.text, hostField.text, port, certField.text,
                                      rememberCheck.checked)
    }

    function loginRemembered() {
        page.context.loginRemembered(jidField.text, rememberedPassphraseField.text)
        rememberedPassphraseField.clear()
    }

    function openWithoutConnecting() {
        if (page.context.openOffline(jidField.text))
            page.openRequested()
    }

    Component.onCompleted: jidField.forceActiveFocus()

    Connections {
        target: page.context

        function onConnectionStateChanged() {
            // Once online the password is in the account; the form does not need to keep it.
            if (page.context.connectionState === AppContext.Online)
                passwordField.clear()
        }
    }

    ColumnLayout {
        anchors.centerIn: parent
        width: Math.min(page.width - 48, 480)
        spacing: 12

        Label {
            text: qsTr("Sotto")
            font.pixelSize: 28
            font.bold: true
            Layout.alignment: Qt.AlignHCenter
        }
        Label {
            text: qsTr("Private conversations over XMPP")
            opacity: 0.75
            Layout.alignment: Qt.AlignHCenter
        }

        GridLayout {
            columns: 2
            columnSpacing: 12
            rowSpacing: 8
            Layout.fillWidth: true
            Layout.topMargin: 12

            Label {
                text: qsTr("Address")
            }
            TextField {
                id: jidField
                objectName: "jidField"
                text: page.context.lastJid
                placeholderText: qsTr("name@example.org")
                inputMethodHints: Qt.ImhEmailCharactersOnly | Qt.ImhNoAutoUppercase | Qt.ImhNoPredictiveText
                Accessible.name: qsTr("Address")
                Layout.fillWidth: true
                onAccepted: passwordField.forceActiveFocus()
            }

            Label {
                text: qsTr("Password")
            }
            TextField {
                id: passwordField
                objectName: "passwordField"
                echoMode: TextInput.Password
                inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText
                Accessible.name: qsTr("Password")
                Layout.fillWidth: true
                onAccepted: page.submit()
            }

            Label {
                text: qsTr("Server")
            }
            TextField {
                id: hostField
                objectName: "hostField"
                text: page.context.lastHost
                placeholderText: qsTr("optional: found from the address")
                inputMethodHints: Qt.ImhUrlCharactersOnly | Qt.ImhNoAutoUppercase
                Accessible.name: qsTr("Server host name (optional)")
                Layout.fillWidth: true
                onAccepted: page.submit()
            }

            Label {
                text: qsTr("Port")
            }
            TextField {
                id: portField
                objectName: "portField"
                text: page.context.lastPort > 0 ? String(page.context.lastPort) : ""
                placeholderText: qsTr("optional: 5222")
                validator: IntValidator {
                    bottom: 1
                    top: 65535
                }
                inputMethodHints: Qt.ImhDigitsOnly
                Accessible.name: qsTr("Server port (optional)")
                Layout.fillWidth: true
                onAccepted: page.submit()
            }

            Label {
                text: qsTr("Certificate")
            }
            TextField {
                id: certField
                objectName: "certField"
                text: page.context.lastCertPath
                placeholderText: qsTr("optional: path of a PEM file to trust")
                Accessible.name: qsTr("Certificate file to trust (optional)")
                Layout.fillWidth: true
                onAccepted: page.submit()
            }
        }

        Label {
            text: qsTr("With a certificate file, only that certificate is trusted for the connection. "
                       + "Without one, the system's certificate authorities are.")
            wrapMode: Text.Wrap
            font.pixelSize: 12
            opacity: 0.75
            Layout.fillWidth: true
        }

        CheckBox {
            id: rememberCheck
            objectName: "rememberCheck"
            text: qsTr("Remember the password on this computer")
            checked: page.remembered
            Accessible.name: text
            Accessible.description: rememberHint.text
        }
        Label {
            id: rememberHint
            text: rememberCheck.checked
                  ? qsTr("It is stored encrypted under the key in your keyring, or under your passphrase; never in plain text. "
                         + "Without a keyring or passphrase it is not stored.")
                  : qsTr("Logging in without this forgets a password remembered before.")
            wrapMode: Text.Wrap
            font.pixelSize: 12
            opacity: 0.75
            Layout.fillWidth: true
        }

        // A remembered password: log in without typing it (a passphrase vault asks for its passphrase first).
        RowLayout {
            objectName: "rememberedLoginRow"
            visible: page.remembered && !page.connecting
            spacing: 8
            Layout.fillWidth: true

            TextField {
                id: rememberedPassphraseField
                objectName: "rememberedPassphraseField"
                visible: page.rememberedNeedsPassphrase
                echoMode: TextInput.Password
                placeholderText: qsTr("Passphrase")
                inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText
                Accessible.name: qsTr("Passphrase that protects the remembered password")
                Layout.fillWidth: true
                onAccepted: page.loginRemembered()
            }
            Item {
                visible: !page.rememberedNeedsPassphrase
                Layout.fillWidth: true
            }
            Button {
                objectName: "rememberedLoginButton"
                text: qsTr("Log in with the remembered password")
                enabled: !page.rememberedNeedsPassphrase || rememberedPassphraseField.text.length > 0
                onClicked: page.loginRemembered()
            }
        }

        Label {
            objectName: "errorText"
            text: page.context.errorText
            visible: text.length > 0
            color: "#b00020"
            wrapMode: Text.Wrap
            Accessible.role: Accessible.AlertMessage
            Layout.fillWidth: true
        }

        RowLayout {
            spacing: 8
            visible: !page.connecting
            Layout.alignment: Qt.AlignRight

            Button {
                objectName: "openOfflineButton"
                text: qsTr("Open without connecting")
                enabled: jidField.text.trim().length > 0
                onClicked: page.openWithoutConnecting()
            }
            Button {
                id: loginButton
                objectName: "loginButton"
                text: qsTr("Log in")
                highlighted: true
                enabled: jidField.text.trim().length > 0 && passwordField.text.length > 0 && !page.connecting
                onClicked: page.submit()
            }
        }

        RowLayout {
            spacing: 8
            visible: page.connecting
            Layout.alignment: Qt.AlignRight

            Label {
                text: qsTr("Logging in…")
                Layout.fillWidth: true
            }
            Button {
                objectName: "cancelLoginButton"
                text: qsTr("Cancel")
                onClicked: page.context.logout()
            }
            Button {
                objectName: "continueOfflineButton"
                text: qsTr("Continue offline")
                onClicked: page.openRequested()
            }
        }
    }
}
