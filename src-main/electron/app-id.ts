// PURE — the desktop app's identity. electron-builder.yml's appId and productName must match
// (a test checks): Windows ties notifications to the AppUserModelID, and the user-data folder
// is named after the product.
export const APP_ID = 'app.trickle.desktop';
export const PRODUCT_NAME = 'Trickle';
