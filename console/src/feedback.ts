/** Loud feedback for a scan, for a noisy warehouse: a tone (WebAudio) and a vibration where the device has one. */

let audio: AudioContext | undefined;

function tone(frequencies: number[], seconds: number): void {
  if (typeof AudioContext === 'undefined') return;
  audio ??= new AudioContext();
  const context = audio;
  // A context made before any gesture starts suspended; a scan is a gesture (Enter, a tap), so this resumes it.
  if (context.state === 'suspended') void context.resume().catch(() => undefined);
  frequencies.forEach((frequency, i) => {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    const start = context.currentTime + i * seconds;
    oscillator.type = 'square';
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.2, start);
    gain.gain.exponentialRampToValueAtTime(0.001, start + seconds);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(start);
    oscillator.stop(start + seconds);
  });
}

export type Signal = 'ok' | 'error' | 'done';

export function signal(kind: Signal): void {
  if (kind === 'ok') tone([1320], 0.12);
  if (kind === 'done') tone([880, 1320, 1760], 0.12);
  if (kind === 'error') tone([220, 180], 0.25);
  navigator.vibrate?.(kind === 'error' ? [300, 100, 300] : kind === 'done' ? [80, 60, 80, 60, 80] : 80);
}
