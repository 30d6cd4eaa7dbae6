// The widget's own words in each language it speaks; a page picks one with data-lang, else the browser's.
export interface Strings {
  open: string;
  close: string;
  title: string;
  welcome: string;
  question: string;
  placeholder: string;
  send: string;
  conversation: string;
  visitor: string;
  assistant: string;
  sources: string;
  page: (page: number) => string;
  connecting: string;
  reconnecting: string;
  queued: string;
  refused: string;
  unavailable: string;
  rateLimited: (seconds: number) => string;
  interrupted: string;
  unsent: string;
  failed: string;
  helpful: string;
  notHelpful: string;
  openPage: string;
  // Above an answer made of passages of the documents (no language model configured).
  quoted: string;
  // Handoff to a person: the offer, where it stands, and the address a visitor may leave when nobody is free.
  person: string;
  askPerson: string;
  waitingPerson: string;
  withPerson: string;
  nobodyFree: string;
  email: string;
  leaveEmail: string;
  emailKept: (email: string) => string;
  backToBot: string;
}

const en: Strings = {
  open: "Open chat",
  close: "Close chat",
  title: "Chat",
  welcome: "Hello! Ask me a question.",
  question: "Your question",
  placeholder: "Type your question…",
  send: "Send",
  conversation: "Conversation",
  visitor: "You",
  assistant: "Assistant",
  sources: "Sources",
  page: (page) => `page ${page}`,
  connecting: "Connecting…",
  reconnecting: "Connection lost. Reconnecting…",
  queued: "Your message will be sent as soon as the connection is back.",
  refused: "This chat is not available on this website.",
  unavailable: "This chat is not available.",
  rateLimited: (seconds) => `You are sending messages too quickly. Please try again in ${seconds} seconds.`,
  interrupted: "The answer was interrupted. Please ask again.",
  unsent: "Not sent.",
  failed: "Something went wrong. Please try again.",
  helpful: "Helpful answer",
  notHelpful: "Not a helpful answer",
  openPage: "Open page",
  quoted: "Quoted from the documents",
  person: "Person",
  askPerson: "Talk to a person",
  waitingPerson: "Looking for a person to join…",
  withPerson: "A person has joined the chat.",
  nobodyFree: "Nobody is available right now. Leave your e-mail address and we will get back to you.",
  email: "Your e-mail address",
  leaveEmail: "Send address",
  emailKept: (email) => `Thank you: we will write to you at ${email}.`,
  backToBot: "You are chatting with the assistant again.",
};

const de: Strings = {
  open: "Chat öffnen",
  close: "Chat schließen",
  title: "Chat",
  welcome: "Hallo! Stellen Sie mir eine Frage.",
  question: "Ihre Frage",
  placeholder: "Ihre Frage eingeben…",
  send: "Senden",
  conversation: "Unterhaltung",
  visitor: "Sie",
  assistant: "Assistent",
  sources: "Quellen",
  page: (page) => `Seite ${page}`,
  connecting: "Verbindung wird hergestellt…",
  reconnecting: "Verbindung unterbrochen. Neuer Versuch…",
  queued: "Ihre Nachricht wird gesendet, sobald die Verbindung wieder steht.",
  refused: "Dieser Chat ist auf dieser Website nicht verfügbar.",
  unavailable: "Dieser Chat ist nicht verfügbar.",
  rateLimited: (seconds) => `Sie senden zu viele Nachrichten. Bitte versuchen Sie es in ${seconds} Sekunden erneut.`,
  interrupted: "Die Antwort wurde unterbrochen. Bitte fragen Sie noch einmal.",
  unsent: "Nicht gesendet.",
  failed: "Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.",
  helpful: "Hilfreiche Antwort",
  notHelpful: "Keine hilfreiche Antwort",
  openPage: "Seite öffnen",
  quoted: "Aus den Dokumenten zitiert",
  person: "Mitarbeiter",
  askPerson: "Mit einem Menschen sprechen",
  waitingPerson: "Wir suchen jemanden für Sie…",
  withPerson: "Ein Mitarbeiter ist dem Chat beigetreten.",
  nobodyFree: "Gerade ist niemand verfügbar. Hinterlassen Sie Ihre E-Mail-Adresse, wir melden uns.",
  email: "Ihre E-Mail-Adresse",
  leaveEmail: "Adresse senden",
  emailKept: (email) => `Danke: Wir schreiben Ihnen an ${email}.`,
  backToBot: "Sie chatten wieder mit dem Assistenten.",
};

const fr: Strings = {
  open: "Ouvrir le chat",
  close: "Fermer le chat",
  title: "Chat",
  welcome: "Bonjour ! Posez-moi une question.",
  question: "Votre question",
  placeholder: "Saisissez votre question…",
  send: "Envoyer",
  conversation: "Conversation",
  visitor: "Vous",
  assistant: "Assistant",
  sources: "Sources",
  page: (page) => `page ${page}`,
  connecting: "Connexion…",
  reconnecting: "Connexion perdue. Reconnexion…",
  queued: "Votre message sera envoyé dès le retour de la connexion.",
  refused: "Ce chat n’est pas disponible sur ce site.",
  unavailable: "Ce chat n’est pas disponible.",
  rateLimited: (seconds) => `Vous envoyez des messages trop vite. Réessayez dans ${seconds} secondes.`,
  interrupted: "La réponse a été interrompue. Veuillez reposer la question.",
  unsent: "Non envoyé.",
  failed: "Une erreur s’est produite. Veuillez réessayer.",
  helpful: "Réponse utile",
  notHelpful: "Réponse pas utile",
  openPage: "Ouvrir la page",
  quoted: "Extraits des documents",
  person: "Conseiller",
  askPerson: "Parler à une personne",
  waitingPerson: "Nous cherchons quelqu’un…",
  withPerson: "Une personne a rejoint la conversation.",
  nobodyFree: "Personne n’est disponible pour le moment. Laissez votre adresse e-mail, nous vous répondrons.",
  email: "Votre adresse e-mail",
  leaveEmail: "Envoyer l’adresse",
  emailKept: (email) => `Merci : nous vous écrirons à ${email}.`,
  backToBot: "Vous discutez de nouveau avec l’assistant.",
};

const es: Strings = {
  open: "Abrir el chat",
  close: "Cerrar el chat",
  title: "Chat",
  welcome: "¡Hola! Hazme una pregunta.",
  question: "Tu pregunta",
  placeholder: "Escribe tu pregunta…",
  send: "Enviar",
  conversation: "Conversación",
  visitor: "Tú",
  assistant: "Asistente",
  sources: "Fuentes",
  page: (page) => `página ${page}`,
  connecting: "Conectando…",
  reconnecting: "Conexión perdida. Reconectando…",
  queued: "Tu mensaje se enviará en cuanto vuelva la conexión.",
  refused: "Este chat no está disponible en este sitio web.",
  unavailable: "Este chat no está disponible.",
  rateLimited: (seconds) => `Estás enviando mensajes demasiado rápido. Inténtalo de nuevo en ${seconds} segundos.`,
  interrupted: "La respuesta se interrumpió. Vuelve a preguntar.",
  unsent: "No enviado.",
  failed: "Algo salió mal. Inténtalo de nuevo.",
  helpful: "Respuesta útil",
  notHelpful: "Respuesta no útil",
  openPage: "Abrir la página",
  quoted: "Citado de los documentos",
  person: "Persona",
  askPerson: "Hablar con una persona",
  waitingPerson: "Buscando a alguien que se una…",
  withPerson: "Una persona se ha unido al chat.",
  nobodyFree: "No hay nadie disponible ahora. Deja tu correo y te responderemos.",
  email: "Tu correo electrónico",
  leaveEmail: "Enviar correo",
  emailKept: (email) => `Gracias: te escribiremos a ${email}.`,
  backToBot: "Vuelves a hablar con el asistente.",
};

export const LANGUAGES: Readonly<Record<string, Strings>> = { en, de, fr, es };

/** The language the widget speaks for a BCP 47 tag such as "de-AT", or null if it speaks none of it. */
export function spokenLanguage(tag: string | undefined): string | null {
  const primary = tag?.trim().toLowerCase().split(/[-_]/)[0];
  return primary && primary in LANGUAGES ? primary : null;
}

/** The first of `preferences` that the widget speaks, else English. */
export function pickLanguage(preferences: readonly (string | undefined)[]): string {
  for (const tag of preferences) {
    const language = spokenLanguage(tag);
    if (language) return language;
  }
  return "en";
}
