import { useEffect, useRef, useState } from 'preact/hooks';

/** The Shape Detection API's BarcodeDetector (Chrome on Android, among others); not in TypeScript's DOM library yet. */
interface BarcodeDetector {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>;
}
type BarcodeDetectorClass = new (options?: { formats?: string[] }) => BarcodeDetector;

const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
export const hasCameraScanning = Boolean(Detector && navigator.mediaDevices?.getUserMedia);

/** The same code seen again within this time is the same item still in view, not a second scan. */
const REPEAT_MS = 2000;

/** Reads barcodes from the back camera and hands each new one to `onCode`. */
export function CameraScanner({ onCode }: { onCode: (code: string) => void }) {
  const [on, setOn] = useState(false);
  const [problem, setProblem] = useState('');
  const video = useRef<HTMLVideoElement>(null);

  useEffect(() => {
    if (!on || !Detector) return;
    let stream: MediaStream | undefined;
    let timer = 0;
    let last = { code: '', at: 0 };
    const detector = new Detector({ formats: ['ean_13', 'ean_8', 'upc_a', 'upc_e', 'itf', 'code_128'] });
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment' } })
      .then((media) => {
        stream = media;
        if (!video.current) return;
        video.current.srcObject = media;
        void video.current.play();
        timer = window.setInterval(async () => {
          if (!video.current || video.current.readyState < 2) return;
          const [found] = await detector.detect(video.current).catch(() => []);
          if (!found) return;
          if (found.rawValue === last.code && Date.now() - last.at < REPEAT_MS) return;
          last = { code: found.rawValue, at: Date.now() };
          onCode(found.rawValue);
        }, 250);
      })
      .catch(() => setProblem('The camera is not available: allow it for this page, or type the code.'));
    return () => {
      window.clearInterval(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, [on, onCode]);

  return (
    <div class="stack">
      <button type="button" aria-pressed={on} onClick={() => setOn(!on)}>
        {on ? 'Stop camera' : 'Scan with camera'}
      </button>
      {problem && <p class="notice notice-error">{problem}</p>}
      {on && <video ref={video} class="camera" muted playsInline aria-label="Camera view for scanning barcodes" />}
    </div>
  );
}
