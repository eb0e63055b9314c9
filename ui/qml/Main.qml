import QtQuick
import QtQuick.Controls
import Sotto

// The window: the connection banner on top, the pages in a stack (login, contacts, one conversation).
ApplicationWindow {
    id: window

    required property AppContext context
    // A contact whose conversation opens at start (sotto --open-chat), when an account is open.
    property string initialChat: ""

    width: 960
    height: 680
    visible: true
    title: context.sessionOpen ? qsTr("Sotto — %1").arg(context.jid) : qsTr("Sotto")

    header: ConnectionBanner {
        context: window.context
    }

    // Shows the contact list of the open account (from any page). False when no account is open.
    function showContacts(immediate) {
        if (!window.context.sessionOpen)
            return false
        const operation = immediate ? StackView.Immediate : StackView.PushTransition
        if (stack.depth > 2)
            stack.pop(stack.get(1), immediate ? StackView.Immediate : StackView.PopTransition)
        else if (stack.depth === 2 && stack.currentItem.objectName !== "contactsPage")
            stack.pop(immediate ? StackView.Immediate : StackView.PopTransition)
        else if (stack.depth === 1)
            stack.push(contactsPage, {}, operation)
        return true
    }

    // Opens the conversation with @p peer (a bare JID). False when no account is open.
    function openChat(peer, immediate) {
        if (!showContacts(immediate))
            return false
        stack.push(chatPage, { peer: peer }, immediate ? StackView.Immediate : StackView.PushTransition)
        return true
    }

    StackView {
        id: stack
        objectName: "stack"
        anchors.fill: parent
        initialItem: LoginPage {
            context: window.context
            onOpenRequested: window.showContacts(false)
        }
    }

    Component {
        id: contactsPage
        ContactsPage {
            context: window.context
            onChatRequested: (jid) => window.openChat(jid, false)
            onSettingsRequested: stack.push(settingsPage)
        }
    }

    Component {
        id: settingsPage
        SettingsPage {
            context: window.context
            onBackRequested: window.showContacts(false)
        }
    }

    Component {
        id: chatPage
        ChatPage {
            id: chat
            context: window.context
            onBackRequested: window.showContacts(false)
            onStartEncryptedSessionRequested: {
                const why = window.context.startEncryptedSession(chat.peer)
                if (why !== "")
                    chat.sendError = why
            }
        }
    }

    Connections {
        target: window.context

        function onSessionChanged() {
            if (!window.context.sessionOpen && stack.depth > 1)
                stack.pop(null)
        }

        function onConnectionStateChanged() {
            // The first connection after logging in leads from the login page to the contacts.
            if (window.context.connectionState === AppContext.Online && stack.depth === 1)
                window.showContacts(false)
        }
    }

    Component.onCompleted: {
        if (!context.sessionOpen)
            return
        if (initialChat.length > 0)
            openChat(initialChat, true)
        else
            showContacts(true)
    }
}
