/** The connection facts AWS IoT Core's ATS endpoint gives MQTT clients: WebSocket on 443, client certificates on 8883. */
export function awsMqttUrls(endpoint: string): { endpoint: string; websocketUrl: string; mqttsUrl: string } {
  return { endpoint, websocketUrl: `wss://${endpoint}/mqtt`, mqttsUrl: `mqtts://${endpoint}:8883` };
}
